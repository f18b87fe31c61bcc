// The demo users. A real application keeps these in its database; the point here is that
// only scrypt hashes are stored (passwords.js), never the passwords. The demo passwords are
// printed by `make dev` and written in the README: never reuse them.
//
// `id` becomes the token's `sub` (stable, not the username, which a user may change);
// `scope` is what their sessions may do; `name` travels as an extra claim.

const USERS = [
  {
    id: 'user_alice',
    username: 'alice',
    name: 'Alice',
    scope: 'profile admin',
    // alice-demo-password
    passwordHash: 'scrypt$131072$8$1$cJ6RDNHVlcK6q_hA4xIDEg$bCPxVjcNnoKfCnfJHoWZfTJsael5jbxa8yYXm8GgAFY',
  },
  {
    id: 'user_bob',
    username: 'bob',
    name: 'Bob',
    scope: 'profile',
    // bob-demo-password
    passwordHash: 'scrypt$131072$8$1$5lGiRBSLJ_yO6JVWGFHHfw$2JYoMJ2hxV42u4pxqr94uT0PVXGJProhlRmevf6Biks',
  },
];

const byUsername = new Map(USERS.map((user) => [user.username, Object.freeze(user)]));

/** The user named `username`, or undefined. */
export function findUser(username) {
  return byUsername.get(username);
}
