//! Chromium driven over WebDriver: Debian's `chromium` and `chromium-driver` (installed with
//! apt-get when missing and running as root; otherwise the test fails naming them), one
//! chromedriver on a free port, and helpers that wait for a condition instead of sleeping.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::common::debian_binary;

/// How long a condition may take to come true.
const WAIT: Duration = Duration::from_secs(20);

/// A headless Chromium session; ends the browser and chromedriver when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends chromedriver and the Chromium it started: chromedriver leads a process group of its
    /// own, and the whole group goes (killing chromedriver alone would leave the browser
    /// running, also after a test that failed).
    fn drop(&mut self) {
        let group = i32::try_from(self.driver.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(group) = group {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The packages the console's browser tests need: Chromium, its WebDriver, and poppler's PDF
/// tools (the printed sheet).
pub const PACKAGES: &str = "chromium chromium-driver poppler-utils";

/// The paths of `chromium` and `chromedriver`; installs [`PACKAGES`] when missing and running as
/// root, and otherwise fails naming them.
fn binaries() -> (PathBuf, PathBuf) {
    let chromium = debian_binary(
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        PACKAGES,
    );
    let driver = debian_binary(&["/usr/bin/chromedriver"], PACKAGES);
    (chromium, driver)
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session of
    /// `width` × `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let (chromium, chromedriver) = tokio::task::spawn_blocking(binaries).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs");
        let profile = tempfile::tempdir().expect("browser profile");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--lang=en-US",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            match builder.capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("chromedriver on port {port} did not start a session: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Runs `script` (a function body that returns a value) until it returns something other
    /// than `null`/`false`, and returns that.
    pub async fn until(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            match self.client.execute(script, vec![]).await {
                Ok(Value::Null | Value::Bool(false)) => {}
                Ok(v) => return v,
                Err(e) => last = Value::String(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        let text = self.text("main").await;
        panic!("waited {WAIT:?} for {what} (last error: {last}); the page shows: {text}");
    }

    /// Waits for an element matching `css` and returns it.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The text of the first element matching `css` (empty when none).
    pub async fn text(&self, css: &str) -> String {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                vec![json!(css)],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits until the element matching `css` shows text containing `expected`; returns it.
    pub async fn wait_text(&self, css: &str, expected: &str) -> String {
        let script = format!(
            "const e = document.querySelector({css}); const t = e ? e.innerText : ''; return t.includes({expected}) ? t : null;",
            css = json!(css),
            expected = json!(expected),
        );
        self.until(&format!("{css} to show {expected:?}"), &script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types `text` into the (cleared) field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Chooses the option with `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// Clicks the button whose text is exactly `label` (inside `scope`, a CSS selector).
    pub async fn click_button(&self, scope: &str, label: &str) {
        let script = format!(
            "const b = [...document.querySelectorAll({scope} + ' button, ' + {scope} + ' a.button')].find(b => b.textContent.trim() === {label}); if (!b) return null; b.click(); return true;",
            scope = json!(scope),
            label = json!(label),
        );
        self.until(&format!("a button {label:?} in {scope}"), &script)
            .await;
    }

    /// The controls on the page that have no accessible name: inputs, selects and textareas
    /// without a label or `aria-label`, buttons and links without text, images without `alt`.
    pub async fn unnamed_controls(&self) -> Vec<String> {
        let script = r#"
const out = [];
const named = (e) => (e.getAttribute('aria-label') || '').trim() ||
  (e.id && [...document.querySelectorAll('label')].some(l => l.htmlFor === e.id && l.textContent.trim())) ||
  e.closest('label');
for (const e of document.querySelectorAll('input, select, textarea')) {
  if (e.type !== 'hidden' && !named(e)) out.push(e.outerHTML.slice(0, 120));
}
for (const e of document.querySelectorAll('button, a')) {
  if (!e.textContent.trim() && !(e.getAttribute('aria-label') || '').trim()) out.push(e.outerHTML.slice(0, 120));
}
for (const e of document.querySelectorAll('img')) {
  if (!(e.getAttribute('alt') || '').trim()) out.push(e.outerHTML.slice(0, 120));
}
return out;"#;
        let v = self.client.execute(script, vec![]).await.unwrap();
        serde_json::from_value(v).unwrap()
    }

    /// Presses Tab `times` times from the focused element and returns what took the focus each
    /// time: the element's id, or else its text.
    pub async fn tab_through(&self, times: usize) -> Vec<String> {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        let tab = char::from(fantoccini::key::Key::Tab);
        let mut reached = Vec::with_capacity(times);
        for _ in 0..times {
            let press = KeyActions::new("keyboard".into())
                .then(KeyAction::Down { value: tab })
                .then(KeyAction::Up { value: tab });
            self.client.perform_actions(press).await.unwrap();
            let v = self
                .client
                .execute(
                    "const e = document.activeElement; return e.id || e.textContent.trim();",
                    vec![],
                )
                .await
                .unwrap();
            reached.push(v.as_str().unwrap_or_default().to_owned());
        }
        reached
    }

    /// Whether the page is wider than the window (a horizontal scroll bar).
    pub async fn overflows(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap_or(true)
    }
}
