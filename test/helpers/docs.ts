/** README and docs/ (with CONTRIBUTING.md and ARCHITECTURE.md) read together: the drift tests check what a user can read, wherever it is. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

export const DOC_FILES = [
  'README.md',
  'CONTRIBUTING.md',
  'ARCHITECTURE.md',
  ...readdirSync(path.join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

export const allDocs = (): string => DOC_FILES.map((f) => readFileSync(path.join(REPO, f), 'utf8')).join('\n');
