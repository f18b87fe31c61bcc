// Password hashing for the demo users: scrypt (node:crypto) with a per-user random salt and
// OWASP's minimum cost (N = 2^17, r = 8, p = 1: 128 MiB and about 0.3 s per check), stored as
// `scrypt$N$r$p$<salt b64url>$<hash b64url>` so the cost can be raised later per user.
// Verification compares with timingSafeEqual, and an unknown user is checked against a dummy
// hash, so the answer time does not tell whether a username exists.
//
// Hash a new password:  node passwords.js 'the password'

import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback);
const COST = { N: 2 ** 17, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Longest password accepted: scrypt takes any length, but a megabyte "password" is an attack.
export const MAX_PASSWORD_BYTES = 1024;

function maxmem({ N, r }) {
  // scrypt needs 128 * N * r bytes; leave room for the rest.
  return 128 * N * r + 32 * 1024 * 1024;
}

/** Hashes `password` with a fresh salt. */
export async function hashPassword(password) {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...COST, maxmem: maxmem(COST) });
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

function parse(stored) {
  const [scheme, N, r, p, salt, hash] = String(stored).split('$');
  const cost = { N: Number(N), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !Number.isInteger(cost.N) || !Number.isInteger(cost.r) || !Number.isInteger(cost.p) || !salt || !hash) {
    throw new Error('stored password hash has an unknown format');
  }
  return { cost, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

// Checked when the user does not exist: same cost, so the time is the same.
const DUMMY = 'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Whether `password` matches `stored` (a hashPassword() result). `stored` undefined (unknown
 * user) runs the same work against a dummy hash and answers false.
 */
export async function verifyPassword(password, stored) {
  const { cost, salt, hash } = parse(stored ?? DUMMY);
  const candidate = await scrypt(password.normalize('NFC'), salt, hash.length, { ...cost, maxmem: maxmem(cost) });
  const same = timingSafeEqual(candidate, hash);
  return stored !== undefined && same;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const password = process.argv[2];
  if (!password) {
    console.error("usage: node passwords.js 'password'");
    process.exit(2);
  }
  console.log(await hashPassword(password));
}
