//! One writer per project folder: a `lock` file naming its holder (pid, host, a per-instance
//! token, since when). A second instance opens the project read-only and says who holds it; a
//! lock left by a process that died on this host is taken over. The holder re-reads the lock
//! before every write, so an instance whose lock was taken over stops writing instead of
//! overwriting the other instance's codebook or interleaving its labels unnoticed.

use serde::{Deserialize, Serialize};

/// The lock file's name inside the project folder.
pub const LOCK_FILE: &str = "lock";

/// Who holds a project folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// Unique per instance (two stores in one process are two writers).
    pub token: String,
    /// When it was taken (RFC 3339 UTC).
    pub at: String,
}

impl Holder {
    /// This instance.
    pub fn me() -> Holder {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Holder {
            pid: std::process::id(),
            host: host_name(),
            token: format!(
                "{}-{nanos}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ),
            at: crate::coding::time::now_rfc3339(),
        }
    }

    /// "errata (pid 123 on host box, since …)".
    pub fn describe(&self) -> String {
        format!(
            "errata (pid {} on host {}, since {})",
            self.pid, self.host, self.at
        )
    }

    /// Whether the holder's process is gone (only knowable for this host, where `/proc` exists).
    fn is_dead(&self) -> bool {
        if self.host != host_name() {
            return false;
        }
        let proc_root = std::path::Path::new("/proc");
        if !proc_root.join("self").exists() {
            return false; // no way to tell here: treat as alive (the user can take over)
        }
        !proc_root.join(self.pid.to_string()).exists()
    }
}

/// This machine's name (Linux `/proc`, then `/etc/hostname`, then `$HOSTNAME`).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The state of this instance's lock on a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockState {
    /// Not taken yet: the folder does not exist (opening a dump leaves no folder); taken with
    /// the first write.
    NotYet,
    /// Held by this instance.
    Held(Holder),
    /// Another live instance holds it: read-only.
    Other(Holder),
}

/// What an attempt to take the lock found.
fn read_holder(path: &std::path::Path) -> Option<Holder> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Takes the lock of `dir` for `me` unless another live instance holds it. A lock whose holder
/// died on this host, or that cannot be read (a torn write), is taken over.
pub fn acquire(dir: &std::path::Path, me: &Holder) -> std::io::Result<LockState> {
    use std::io::Write as _;
    let path = dir.join(LOCK_FILE);
    for _ in 0..3 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let text = serde_json::to_string(me).unwrap_or_default();
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                return Ok(LockState::Held(me.clone()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_holder(&path) {
                Some(h) if h.token == me.token => return Ok(LockState::Held(me.clone())),
                Some(h) if !h.is_dead() => return Ok(LockState::Other(h)),
                // stale or unreadable: remove and try again (create_new decides any race)
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            },
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "the lock kept changing while it was taken",
    ))
}

/// Whether `me` still holds the lock of `dir` (another instance may have taken it over).
pub fn check(dir: &std::path::Path, me: &Holder) -> LockState {
    match read_holder(&dir.join(LOCK_FILE)) {
        Some(h) if h.token == me.token => LockState::Held(h),
        Some(h) => LockState::Other(h),
        None => LockState::NotYet,
    }
}

/// Takes the lock from whoever holds it (the user chose to: the holder is gone or stuck).
pub fn take_over(dir: &std::path::Path, me: &Holder) -> std::io::Result<LockState> {
    let _ = std::fs::remove_file(dir.join(LOCK_FILE));
    acquire(dir, me)
}

/// Releases the lock if `me` holds it.
pub fn release(dir: &std::path::Path, me: &Holder) {
    if read_holder(&dir.join(LOCK_FILE)).is_some_and(|h| h.token == me.token) {
        let _ = std::fs::remove_file(dir.join(LOCK_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("errata-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn second_instance_sees_the_first() {
        let dir = tmp("two");
        let (a, b) = (Holder::me(), Holder::me());
        assert_eq!(acquire(&dir, &a).unwrap(), LockState::Held(a.clone()));
        assert_eq!(acquire(&dir, &b).unwrap(), LockState::Other(a.clone()));
        assert_eq!(check(&dir, &a), LockState::Held(a.clone()));
        release(&dir, &b); // not b's: stays
        assert_eq!(check(&dir, &a), LockState::Held(a.clone()));
        release(&dir, &a);
        assert_eq!(acquire(&dir, &b).unwrap(), LockState::Held(b.clone()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn dead_holder_and_torn_lock_are_taken_over() {
        let dir = tmp("stale");
        let mut dead = Holder::me();
        dead.pid = u32::MAX - 7; // no such process
        std::fs::write(dir.join(LOCK_FILE), serde_json::to_string(&dead).unwrap()).unwrap();
        let me = Holder::me();
        assert_eq!(acquire(&dir, &me).unwrap(), LockState::Held(me.clone()));
        std::fs::write(dir.join(LOCK_FILE), "{\"pid\": 1").unwrap();
        assert_eq!(acquire(&dir, &me).unwrap(), LockState::Held(me.clone()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn taken_over_lock_is_noticed_by_the_old_holder() {
        let dir = tmp("takeover");
        let (a, b) = (Holder::me(), Holder::me());
        acquire(&dir, &a).unwrap();
        assert_eq!(take_over(&dir, &b).unwrap(), LockState::Held(b.clone()));
        assert_eq!(check(&dir, &a), LockState::Other(b));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
