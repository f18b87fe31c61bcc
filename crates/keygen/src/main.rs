//! `revocable-keygen`: local secrets for the revocable issuer.
//!
//! Writes a dotenv file (default `.dev.vars`, read by `wrangler dev`) with:
//! - `SIGNING_KEYS`: a private JWKS with one fresh Ed25519 key (`SigningKey::generate` over
//!   32 bytes from the OS CSPRNG); the first key signs, all keys are published.
//! - `ISSUER_SERVICE_KEY`: 32 random bytes, base64url, the bearer credential of the
//!   service endpoints (the app's backend only).
//! - `FEED_KEY`: 32 random bytes, base64url, the read-only credential of the revocation
//!   feed (verifiers and gateways). Added to an existing file that lacks it.
//!
//! ```text
//! revocable-keygen [--out PATH] [--force]   create (refuses to overwrite without --force)
//! revocable-keygen --rotate [--out PATH]    prepend a new signing key, keep the others
//! revocable-keygen --print NAME [--out PATH] print one value (for `wrangler secret put NAME`)
//! ```
//!
//! Rotation puts the new key first (it signs from the next deployment on) and keeps the
//! previous keys so tokens they signed still verify until they expire; the service key and
//! any other lines of the file are kept as they are.
#![forbid(unsafe_code)]

use std::{fmt, fs, io::Write, path::PathBuf, process::ExitCode};

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{Algorithm, SigningKey, SigningKeySet};

/// Name of the private JWKS variable.
const SIGNING_KEYS: &str = "SIGNING_KEYS";
/// Name of the service key variable.
const SERVICE_KEY: &str = "ISSUER_SERVICE_KEY";
/// Name of the feed key variable.
const FEED_KEY: &str = "FEED_KEY";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Options::parse(&args).and_then(|opts| run(&opts)) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(KeygenError::Usage(why)) => {
            eprintln!("revocable-keygen: {why}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("revocable-keygen: {err}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: revocable-keygen [--out PATH] [--force]\n       revocable-keygen --rotate [--out PATH]\n       revocable-keygen --print SIGNING_KEYS|ISSUER_SERVICE_KEY|FEED_KEY [--out PATH]\n\n  --out PATH    dotenv file to write or read (default: .dev.vars)\n  --force       replace an existing file with new keys and a new service key\n  --rotate      add a new signing key first, keep the previous ones and the service key\n  --print NAME  print the value of NAME from the file, for example\n                `revocable-keygen --out prod.vars --print SIGNING_KEYS | wrangler secret put SIGNING_KEYS`";

/// Everything that can go wrong. Messages never contain key material.
#[derive(Debug)]
#[non_exhaustive]
enum KeygenError {
    Usage(String),
    Exists(PathBuf),
    Missing(PathBuf),
    Io(PathBuf, std::io::Error),
    Random,
    Key(revocable_core::Error),
    BadFile(&'static str),
}

impl fmt::Display for KeygenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(why) => f.write_str(why),
            Self::Exists(path) => write!(
                f,
                "{} already exists; pass --force to replace it (this invalidates every token it signed) or --rotate to add a new signing key",
                path.display()
            ),
            Self::Missing(path) => write!(
                f,
                "{} does not exist; create it first (revocable-keygen --out PATH)",
                path.display()
            ),
            Self::Io(path, err) => write!(f, "{}: {err}", path.display()),
            Self::Random => f.write_str("the operating system's random number generator failed"),
            Self::Key(err) => write!(f, "signing key: {err} ({})", err.code()),
            Self::BadFile(why) => write!(f, "cannot use the file: {why}"),
        }
    }
}

/// Parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    out: PathBuf,
    force: bool,
    rotate: bool,
    print: Option<&'static str>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, KeygenError> {
        let mut opts = Options {
            out: PathBuf::from(".dev.vars"),
            force: false,
            rotate: false,
            print: None,
        };
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--force" => opts.force = true,
                "--rotate" => opts.rotate = true,
                "--print" => match iter.next().map(String::as_str) {
                    Some(SIGNING_KEYS) => opts.print = Some(SIGNING_KEYS),
                    Some(SERVICE_KEY) => opts.print = Some(SERVICE_KEY),
                    Some(FEED_KEY) => opts.print = Some(FEED_KEY),
                    _ => {
                        return Err(KeygenError::Usage(
                            "--print needs SIGNING_KEYS, ISSUER_SERVICE_KEY or FEED_KEY".into(),
                        ))
                    }
                },
                "--out" => match iter.next() {
                    Some(path) if !path.is_empty() => opts.out = PathBuf::from(path),
                    _ => return Err(KeygenError::Usage("--out needs a path".into())),
                },
                "-h" | "--help" => return Err(KeygenError::Usage("help".into())),
                other => return Err(KeygenError::Usage(format!("unknown argument {other:?}"))),
            }
        }
        if usize::from(opts.force) + usize::from(opts.rotate) + usize::from(opts.print.is_some())
            > 1
        {
            return Err(KeygenError::Usage(
                "--force, --rotate and --print exclude each other".into(),
            ));
        }
        Ok(opts)
    }
}

fn run(opts: &Options) -> Result<String, KeygenError> {
    let exists = opts.out.exists();
    if let Some(name) = opts.print {
        if !exists {
            return Err(KeygenError::Missing(opts.out.clone()));
        }
        let text =
            fs::read_to_string(&opts.out).map_err(|e| KeygenError::Io(opts.out.clone(), e))?;
        // The one place this tool prints a secret: on request, for a pipe into
        // `wrangler secret put`.
        return text
            .lines()
            .find_map(|line| dotenv_value(line, name))
            .map(str::to_owned)
            .ok_or(KeygenError::BadFile(
                "the file does not define the requested variable",
            ));
    }
    if opts.rotate {
        if !exists {
            return Err(KeygenError::Missing(opts.out.clone()));
        }
        let text =
            fs::read_to_string(&opts.out).map_err(|e| KeygenError::Io(opts.out.clone(), e))?;
        let (rotated, count) = rotate(&text, &new_signing_key()?)?;
        write_private(&opts.out, &rotated)?;
        return Ok(format!(
            "rotated {}: a new signing key signs from now on; {count} key(s) published",
            opts.out.display()
        ));
    }
    if exists && !opts.force {
        let text =
            fs::read_to_string(&opts.out).map_err(|e| KeygenError::Io(opts.out.clone(), e))?;
        if text
            .lines()
            .any(|line| dotenv_value(line, FEED_KEY).is_some())
        {
            return Err(KeygenError::Exists(opts.out.clone()));
        }
        let mut text = text;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{FEED_KEY}={}\n", random_base64url::<32>()?));
        write_private(&opts.out, &text)?;
        return Ok(format!(
            "added FEED_KEY to {} (the read-only feed credential); the other keys are unchanged",
            opts.out.display()
        ));
    }
    let set = SigningKeySet::new(vec![new_signing_key()?]).map_err(KeygenError::Key)?;
    let service_key = random_base64url::<32>()?;
    let feed_key = random_base64url::<32>()?;
    write_private(&opts.out, &render_new(&set, &service_key, &feed_key))?;
    Ok(format!(
        "wrote {} (SIGNING_KEYS: 1 Ed25519 key, kid {}; ISSUER_SERVICE_KEY; FEED_KEY); keep it out of git",
        opts.out.display(),
        set.active().kid()
    ))
}

/// A fresh Ed25519 key from 32 bytes of OS randomness.
fn new_signing_key() -> Result<SigningKey, KeygenError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|_| KeygenError::Random)?;
    let key = SigningKey::generate(Algorithm::EdDsa, &seed).map_err(KeygenError::Key);
    // The seed is the private key: do not leave a copy on the stack.
    seed.fill(0);
    key
}

fn random_base64url<const N: usize>() -> Result<String, KeygenError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| KeygenError::Random)?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

/// The dotenv text of a new file. JSON goes in single quotes: dotenv (which wrangler uses)
/// takes single-quoted values literally, so the JSON's double quotes need no escaping.
fn render_new(set: &SigningKeySet, service_key: &str, feed_key: &str) -> String {
    format!(
        "# Local secrets for the revocable issuer, written by revocable-keygen.\n\
         # Never commit this file (.gitignore lists it). Rotate: revocable-keygen --rotate\n\
         {SIGNING_KEYS}='{}'\n\
         {SERVICE_KEY}={service_key}\n\
         {FEED_KEY}={feed_key}\n",
        set.private_jwks()
    )
}

/// Prepends `new_key` to the file's SIGNING_KEYS, keeping every other line as it is.
/// Returns the new text and the number of keys now in the set.
fn rotate(text: &str, new_key: &SigningKey) -> Result<(String, usize), KeygenError> {
    let mut found = false;
    let mut count = 0;
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        match dotenv_value(line, SIGNING_KEYS) {
            Some(value) => {
                if found {
                    return Err(KeygenError::BadFile("SIGNING_KEYS appears twice"));
                }
                found = true;
                let old = SigningKeySet::from_jwks_json(value).map_err(KeygenError::Key)?;
                let mut keys = Vec::with_capacity(old.keys().len() + 1);
                keys.push(new_key.clone());
                keys.extend(old.keys().iter().cloned());
                let set = SigningKeySet::new(keys).map_err(KeygenError::Key)?;
                count = set.keys().len();
                out.push_str(&format!("{SIGNING_KEYS}='{}'\n", set.private_jwks()));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !found {
        return Err(KeygenError::BadFile("the file has no SIGNING_KEYS line"));
    }
    Ok((out, count))
}

/// The value of `NAME=value` (optionally `export NAME=...`), with one layer of matching
/// single or double quotes removed. Not a general dotenv parser: enough for the files this
/// tool writes and hand edits of them.
fn dotenv_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let line = line.trim();
    let line = line
        .strip_prefix("export ")
        .map(str::trim_start)
        .unwrap_or(line);
    let rest = line
        .strip_prefix(name)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    for quote in ['\'', '"'] {
        if let Some(inner) = rest.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            return Some(inner);
        }
    }
    Some(rest)
}

/// Writes `text` to `path` readable by the owner only, through a temporary file and a
/// rename so an interrupted run never leaves half a key file. The temporary file's
/// permissions are set whether it was created now or left behind by an interrupted run.
fn write_private(path: &PathBuf, text: &str) -> Result<(), KeygenError> {
    let io = |e| KeygenError::Io(path.clone(), e);
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        // Closed at the end of this block, before the rename.
        let mut file = options.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_defaults_and_flags() {
        let opts = Options::parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opts.out, PathBuf::from(".dev.vars"));
        assert!(!opts.force && !opts.rotate);
        let opts = Options::parse(&args(&["--out", "x.vars", "--force"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opts.out, PathBuf::from("x.vars"));
        assert!(opts.force);
    }

    #[test]
    fn options_reject_bad_usage() {
        for bad in [
            &["--force", "--rotate"][..],
            &["--out"],
            &["--out", ""],
            &["--nope"],
            &["--print"],
            &["--print", "d"],
            &["--print", "SIGNING_KEYS", "--force"],
            &["--print", "SIGNING_KEYS", "--rotate"],
        ] {
            assert!(
                matches!(Options::parse(&args(bad)), Err(KeygenError::Usage(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dotenv_value_strips_quotes_and_export() {
        assert_eq!(
            dotenv_value("SIGNING_KEYS='{\"a\":1}'", SIGNING_KEYS),
            Some("{\"a\":1}")
        );
        assert_eq!(
            dotenv_value("export SIGNING_KEYS = \"x\"", SIGNING_KEYS),
            Some("x")
        );
        assert_eq!(
            dotenv_value("SIGNING_KEYS=plain", SIGNING_KEYS),
            Some("plain")
        );
        assert_eq!(dotenv_value("SIGNING_KEYS_OLD=x", SIGNING_KEYS), None);
        assert_eq!(dotenv_value("# SIGNING_KEYS=x", SIGNING_KEYS), None);
    }

    #[test]
    fn rotate_requires_a_signing_keys_line() {
        let key = new_signing_key().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            rotate("OTHER=1\n", &key),
            Err(KeygenError::BadFile(_))
        ));
    }
}
