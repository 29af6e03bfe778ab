//! One writer per project in the browser: each tab that opens a project beats a heartbeat
//! (`<prefix>lock`: its token and the time) every few seconds; a tab that finds another tab's
//! fresh heartbeat opens read-only and says so. A closed tab stops beating, so its hold lapses.

/// A heartbeat older than this is a closed tab's.
const STALE_MS: f64 = 8_000.0;
/// How often a holding tab beats.
const BEAT_MS: f64 = 2_000.0;

#[derive(serde::Serialize, serde::Deserialize)]
struct Beat {
    token: String,
    at_ms: f64,
    since: String,
}

/// This tab's hold on one project.
pub struct Tab {
    key: String,
    token: String,
    since: String,
    /// Another tab holds it (since when, in words).
    other: Option<String>,
    last_beat_ms: f64,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// This tab's token: kept in the tab's session storage, so that a reload is the same tab
/// (its heartbeat is its own) while another tab is not.
fn tab_token(now: f64) -> String {
    const KEY: &str = "errata:tab";
    let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(t) = session
        .as_ref()
        .and_then(|s| s.get_item(KEY).ok().flatten())
    {
        return t;
    }
    let token = format!("{now}-{}", js_sys::Math::random());
    if let Some(s) = session {
        let _ = s.set_item(KEY, &token);
    }
    token
}

fn read(key: &str) -> Option<Beat> {
    serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
}

impl Tab {
    /// Opens the project `prefix` in this tab: held unless another tab beats.
    pub fn open(prefix: &str) -> Tab {
        let now = js_sys::Date::now();
        let mut tab = Tab {
            key: format!("{prefix}lock"),
            token: tab_token(now),
            since: crate::coding::time::now_rfc3339(),
            other: None,
            last_beat_ms: 0.0,
        };
        match read(&tab.key) {
            Some(b) if b.token != tab.token && now - b.at_ms < STALE_MS => {
                tab.other = Some(b.since);
            }
            _ => tab.write(now),
        }
        tab
    }

    fn write(&mut self, now: f64) {
        let beat = Beat {
            token: self.token.clone(),
            at_ms: now,
            since: self.since.clone(),
        };
        if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(&beat)) {
            let _ = s.set_item(&self.key, &text);
        }
        self.last_beat_ms = now;
    }

    /// Who holds the project when it is not this tab.
    pub fn held_by(&self) -> Option<String> {
        self.other
            .as_ref()
            .map(|since| format!("browser tab (open since {since})"))
    }

    /// Beats, when this tab holds the project; notices a tab that took it over, and takes
    /// it when the other tab's heartbeat lapsed.
    pub fn beat(&mut self, now: f64) {
        if now - self.last_beat_ms < BEAT_MS {
            return;
        }
        self.last_beat_ms = now;
        match read(&self.key) {
            Some(b) if b.token != self.token && now - b.at_ms < STALE_MS => {
                self.other = Some(b.since);
            }
            _ => {
                self.other = None;
                self.write(now);
            }
        }
    }

    /// Takes the project from the other tab.
    pub fn take_over(&mut self) {
        self.other = None;
        self.write(js_sys::Date::now());
    }

    /// Before a write: refused while another tab holds the project.
    pub fn check(&mut self, what: &str) -> Result<(), super::PersistError> {
        if let Some(b) = read(&self.key)
            && b.token != self.token
            && js_sys::Date::now() - b.at_ms < STALE_MS
        {
            self.other = Some(b.since);
        }
        match self.held_by() {
            Some(h) => Err(super::PersistError::Io {
                path: what.to_owned(),
                reason: format!(
                    "not written: this project is open in another {h}; this tab is read-only (File > Take over the project, or close the other tab)"
                ),
            }),
            None => Ok(()),
        }
    }
}
