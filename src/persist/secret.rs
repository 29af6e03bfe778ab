//! Secrets the user asked errata to remember (the LLM API key): natively a file in errata's data
//! folder that only the user can read (mode 600, written through a temporary file of the same
//! mode and a rename), in the browser the site's local storage. Never a project folder, never
//! an export, never the settings file (which other users may read).

/// The LLM API key's name (file name natively, storage key in the browser).
pub const LLM_KEY: &str = "llm-api-key";

/// Where the secret `name` is kept, in words, for the UI.
pub fn location(dir: Option<&std::path::Path>, name: &str) -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        dir.map_or_else(
            || "nowhere (no data folder on this machine)".to_owned(),
            |d| format!("{} (readable by you only)", d.join(name).display()),
        )
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        format!("this browser's storage for this site ({name})")
    }
}

/// Keeps `value` as the secret `name` (in `dir` natively).
pub fn save(dir: Option<&std::path::Path>, name: &str, value: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::io::Write as _;
        let dir = dir.ok_or("no data folder to keep it in")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{e}: {}", dir.display()))?;
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options
            .open(&tmp)
            .map_err(|e| format!("{e}: {}", tmp.display()))?;
        f.write_all(value.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{e}: {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{e}: {}", path.display()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .ok_or("browser storage is not available")?
            .set_item(&format!("errata:secret:{name}"), value)
            .map_err(|e| format!("{e:?}"))
    }
}

/// The secret `name`, when one is kept.
pub fn load(dir: Option<&std::path::Path>, name: &str) -> Option<String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let text = std::fs::read_to_string(dir?.join(name)).ok()?;
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        web_sys::window()?
            .local_storage()
            .ok()??
            .get_item(&format!("errata:secret:{name}"))
            .ok()?
    }
}

/// Forgets the secret `name`.
pub fn forget(dir: Option<&std::path::Path>, name: &str) {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(dir) = dir {
        let _ = std::fs::remove_file(dir.join(name));
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = dir;
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.remove_item(&format!("errata:secret:{name}"));
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn kept_readable_by_the_user_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("errata-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        save(Some(&dir), LLM_KEY, "sk-test").unwrap();
        let mode = std::fs::metadata(dir.join(LLM_KEY))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(load(Some(&dir), LLM_KEY).as_deref(), Some("sk-test"));
        save(Some(&dir), LLM_KEY, "sk-new").unwrap();
        assert_eq!(load(Some(&dir), LLM_KEY).as_deref(), Some("sk-new"));
        forget(Some(&dir), LLM_KEY);
        assert_eq!(load(Some(&dir), LLM_KEY), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
