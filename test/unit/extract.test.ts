import { describe, expect, it } from 'vitest';
import { checkEntry, tarComplaint, type EntryInfo, type TreeState } from '../../src/buildpack/extract.js';

const run = (entries: EntryInfo[]) => {
  const state: TreeState = {};
  for (const e of entries) {
    const reason = checkEntry(e, state);
    if (reason) return reason;
  }
  return undefined;
};
const T = 'spark-4.2.0-bin-hadoop3';

describe('checkEntry', () => {
  it('accepts a normal distribution with relative links inside it', () => {
    expect(
      run([
        { path: T, type: 'Directory' },
        { path: `${T}/bin`, type: 'Directory' },
        { path: `${T}/bin/spark-submit`, type: 'File' },
        { path: `${T}/jars/current.jar`, type: 'SymbolicLink', linkpath: 'spark-core.jar' },
        { path: `${T}/python/lib/link`, type: 'SymbolicLink', linkpath: '../../jars/x.jar' },
      ]),
    ).toBeUndefined();
  });

  it.each<[string, EntryInfo[], RegExp]>([
    [
      'two tops',
      [
        { path: T, type: 'Directory' },
        { path: 'other', type: 'Directory' },
      ],
      /more than one top-level/,
    ],
    ['top is a file', [{ path: 'README', type: 'File' }], /not a directory/],
    ['absolute', [{ path: '/etc/cron.d/x', type: 'File' }], /absolute path/],
    ['windows absolute', [{ path: 'C:\\x', type: 'File' }], /absolute path/],
    [
      'dotdot',
      [
        { path: T, type: 'Directory' },
        { path: `${T}/../x`, type: 'File' },
      ],
      /escapes/,
    ],
    [
      'backslash dotdot',
      [
        { path: T, type: 'Directory' },
        { path: `${T}\\..\\..\\x`, type: 'File' },
      ],
      /escapes/,
    ],
    [
      'absolute link',
      [
        { path: T, type: 'Directory' },
        { path: `${T}/l`, type: 'SymbolicLink', linkpath: '/etc' },
      ],
      /absolute path/,
    ],
    [
      'link up and out',
      [
        { path: T, type: 'Directory' },
        { path: `${T}/a/l`, type: 'SymbolicLink', linkpath: '../../..' },
      ],
      /outside/,
    ],
    [
      'link to a sibling top',
      [
        { path: T, type: 'Directory' },
        { path: `${T}/l`, type: 'SymbolicLink', linkpath: '../other' },
      ],
      /outside/,
    ],
    [
      'device',
      [
        { path: T, type: 'Directory' },
        { path: `${T}/dev`, type: 'Other' },
      ],
      /device, FIFO or socket/,
    ],
  ])('refuses %s', (_name, entries, message) => {
    expect(run(entries)).toMatch(message);
  });
});

describe('tarComplaint', () => {
  it('reads GNU tar: absolute names, .. members, bad gzip, not tar', () => {
    expect(tarComplaint("tar: Removing leading `/' from member names\n", 0)).toBe('it has entries with absolute paths');
    expect(tarComplaint("tar: Removing leading `x/../../' from member names\n", 0)).toMatch(/escapes the distribution directory \(x\/\.\.\/\.\.\/\)/);
    expect(tarComplaint("tar: x/../y: Member name contains '..'\n", 2)).toMatch(/"x\/\.\.\/y" escapes/);
    expect(tarComplaint('tar: This does not look like a tar archive\n', 2)).toMatch(/not a readable tar archive/);
    expect(tarComplaint('tar: Unexpected EOF in archive\n', 2)).toMatch(/not a readable tar archive/);
    expect(tarComplaint('', 0)).toBeUndefined();
    expect(tarComplaint('tar: x: Cannot write: No space left on device\n', 2)).toBeUndefined();
  });
});
