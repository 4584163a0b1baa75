/** Builds dist/ once for the whole run: bin/compile runs the compiled TypeScript, as on Heroku. */
import { execa } from 'execa';
import { REPO } from './buildpack.js';

export default async function setup() {
  await execa('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
}
