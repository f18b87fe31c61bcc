//! Runs the built `revocable-keygen` binary in a temporary directory.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use revocable_core::{Algorithm, SigningKeySet};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("revocable-keygen-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn keygen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_revocable-keygen"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run revocable-keygen: {e}"))
}

/// (SIGNING_KEYS JSON, ISSUER_SERVICE_KEY) from a file this tool wrote.
fn read_vars(path: &Path) -> (String, String) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut keys = None;
    let mut service = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("SIGNING_KEYS='") {
            keys = v.strip_suffix('\'').map(str::to_owned);
        } else if let Some(v) = line.strip_prefix("ISSUER_SERVICE_KEY=") {
            service = Some(v.to_owned());
        }
    }
    (
        keys.unwrap_or_else(|| panic!("no SIGNING_KEYS in {text}")),
        service.unwrap_or_else(|| panic!("no ISSUER_SERVICE_KEY")),
    )
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn creates_a_dev_vars_file_with_an_ed25519_key_and_a_service_key() {
    let dir = TempDir::new("create");
    let out = keygen(&dir.0, &[]);
    assert_ok(&out);
    let path = dir.0.join(".dev.vars");
    let (jwks, service) = read_vars(&path);
    let set = SigningKeySet::from_jwks_json(&jwks).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.keys().len(), 1);
    assert_eq!(set.active().algorithm(), Algorithm::EdDsa);
    // 32 random bytes, base64url without padding.
    assert_eq!(service.len(), 43, "{service}");
    assert!(service
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // The private key never reaches stdout.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(&service) && !stdout.contains("\"d\""),
        "{stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
    }
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = TempDir::new("refuse");
    assert_ok(&keygen(&dir.0, &["--out", "k.vars"]));
    let before = fs::read(dir.0.join("k.vars")).unwrap_or_default();
    let out = keygen(&dir.0, &["--out", "k.vars"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        fs::read(dir.0.join("k.vars")).unwrap_or_default(),
        before,
        "file changed"
    );

    assert_ok(&keygen(&dir.0, &["--out", "k.vars", "--force"]));
    let (_, old_service) = {
        let text = String::from_utf8_lossy(&before).into_owned();
        let p = dir.0.join("old.vars");
        fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        read_vars(&p)
    };
    let (_, new_service) = read_vars(&dir.0.join("k.vars"));
    assert_ne!(old_service, new_service, "--force makes a new service key");
}

#[test]
fn rotate_prepends_a_new_key_and_keeps_the_rest() {
    let dir = TempDir::new("rotate");
    let path = dir.0.join(".dev.vars");
    assert_ok(&keygen(&dir.0, &[]));
    // A line someone added by hand survives rotation.
    let mut text = fs::read_to_string(&path).unwrap_or_default();
    text.push_str("ISSUER=http://127.0.0.1:9999\n");
    fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let (jwks1, service1) = read_vars(&path);
    let first = SigningKeySet::from_jwks_json(&jwks1).unwrap_or_else(|e| panic!("{e}"));

    assert_ok(&keygen(&dir.0, &["--rotate"]));
    let (jwks2, service2) = read_vars(&path);
    let second = SigningKeySet::from_jwks_json(&jwks2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.keys().len(), 2);
    assert_ne!(
        second.active().kid(),
        first.active().kid(),
        "the new key signs"
    );
    assert_eq!(
        second.keys()[1].kid(),
        first.active().kid(),
        "the old key stays published"
    );
    assert_eq!(service1, service2, "rotation keeps the service key");
    assert!(fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("ISSUER=http://127.0.0.1:9999"));
}

#[test]
fn print_outputs_one_value_for_wrangler_secret_put() {
    let dir = TempDir::new("print");
    assert_ok(&keygen(&dir.0, &["--out", "prod.vars"]));
    let (jwks, service) = read_vars(&dir.0.join("prod.vars"));
    let out = keygen(&dir.0, &["--out", "prod.vars", "--print", "SIGNING_KEYS"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), jwks);
    let out = keygen(
        &dir.0,
        &["--out", "prod.vars", "--print", "ISSUER_SERVICE_KEY"],
    );
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), service);
    let out = keygen(&dir.0, &["--out", "prod.vars", "--print", "OTHER"]);
    assert_eq!(out.status.code(), Some(2));
    let out = keygen(
        &dir.0,
        &["--out", "missing.vars", "--print", "SIGNING_KEYS"],
    );
    assert!(!out.status.success());
}

#[test]
fn rotate_without_a_file_fails_clearly() {
    let dir = TempDir::new("rotate-missing");
    let out = keygen(&dir.0, &["--rotate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let dir = TempDir::new("usage");
    let out = keygen(&dir.0, &["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}

fn value_of(path: &Path, name: &str) -> Option<String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

#[test]
fn writes_a_read_only_feed_key_distinct_from_the_service_key() {
    let dir = TempDir::new("feedkey");
    assert_ok(&keygen(&dir.0, &[]));
    let path = dir.0.join(".dev.vars");
    let feed = value_of(&path, "FEED_KEY").unwrap_or_else(|| panic!("no FEED_KEY"));
    let service = value_of(&path, "ISSUER_SERVICE_KEY").unwrap_or_default();
    assert_eq!(feed.len(), 43);
    assert_ne!(feed, service);
    let out = keygen(&dir.0, &["--print", "FEED_KEY"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), feed);
}

#[test]
fn adds_a_feed_key_to_a_file_that_lacks_one_and_keeps_the_rest() {
    let dir = TempDir::new("addfeed");
    assert_ok(&keygen(&dir.0, &[]));
    let path = dir.0.join(".dev.vars");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("FEED_KEY="))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&path, &without).unwrap_or_else(|e| panic!("{e}"));
    let out = keygen(&dir.0, &[]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("added FEED_KEY"));
    let after = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        after.starts_with(&without),
        "the other lines are kept as they were"
    );
    assert!(value_of(&path, "FEED_KEY").is_some_and(|k| k.len() == 43));
    // With a feed key present, a second run refuses as before.
    assert!(!keygen(&dir.0, &[]).status.success());
}

#[cfg(unix)]
#[test]
fn a_leftover_temporary_file_does_not_keep_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("leftover");
    let tmp = dir.0.join(".dev.vars.tmp");
    fs::write(&tmp, "stale").unwrap_or_else(|e| panic!("{e}"));
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap_or_else(|e| panic!("{e}"));
    assert_ok(&keygen(&dir.0, &[]));
    let mode = fs::metadata(dir.0.join(".dev.vars")).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o600));
}
