// Packs the package exactly as `npm publish` would (npm pack) and installs the tarball into
// a fresh temporary project, so tests exercise the published shape, not the source tree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * npm pack + npm install of the tarball into a temp project. `devLinks` are packages from
 * js/node_modules symlinked into the project (test tooling such as express or typescript;
 * the tarball itself installs with no network: it has no dependencies).
 * Returns { dir, tarball, files, cleanup }.
 */
export function packedProject({ devLinks = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-packed-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: PACKAGE_DIR, encoding: 'utf8' });
  const [{ filename, files }] = JSON.parse(out.slice(out.indexOf('[')));
  const tarball = join(dir, filename);
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: project, stdio: 'pipe' });
  for (const name of devLinks) {
    const link = join(project, 'node_modules', name);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(join(PACKAGE_DIR, 'node_modules', name), link, 'dir');
  }
  return {
    dir: project,
    tarball,
    files: files.map((f) => f.path),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
