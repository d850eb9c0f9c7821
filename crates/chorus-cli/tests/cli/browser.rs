//! Real headless Chromium driven over the W3C WebDriver protocol (Debian's `chromium-driver`):
//! the tests click, type and scroll as a user does and read what is on screen.
//!
//! The protocol is JSON over HTTP to a chromedriver on 127.0.0.1; the few calls the tests need
//! are written here over a plain socket rather than pulling a client library into the build.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// W3C key codes of keys the tests press.
pub const ARROW_DOWN: &str = "\u{E015}";
pub const ENTER: &str = "\u{E007}";
pub const TAB: &str = "\u{E004}";

/// A program on the path (or the environment override), or a panic that says how to install it.
fn program(env: &str, names: &[&str], install: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    for name in names {
        if let Ok(output) = Command::new("which").arg(name).output()
            && output.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        }
    }
    panic!(
        "the page tests need {names:?}: `apt-get install {install}` (.ci/run does), or set {env}"
    );
}

/// One headless Chromium session at 1280×800, closed (with its driver) when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element the page holds, by its WebDriver reference.
#[derive(Clone)]
pub struct Element(String);

/// The key WebDriver names element references by.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Element {
    /// The element as a script argument.
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

impl Browser {
    pub fn start() -> Browser {
        let chromium = program(
            "CHORUS_CHROMIUM",
            &["chromium", "chromium-browser"],
            "chromium",
        );
        let chromedriver = program("CHORUS_CHROMEDRIVER", &["chromedriver"], "chromium-driver");
        let (driver, port) = start_driver(&chromedriver);
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--window-size=1280,800",
                         format!("--user-data-dir={}", browser._profile.path().display())],
            },
        }}});
        let created = browser.http("POST", "/session", Some(&capabilities));
        browser.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver did not start a session: {created}"))
            .to_string();
        browser
    }

    /// One WebDriver call: the JSON reply (errors come back as `{"value": {"error": …}}`).
    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let (_, payload) = read_reply(&mut stream).unwrap();
        serde_json::from_slice(&payload).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: {e}: {}",
                String::from_utf8_lossy(&payload)
            )
        })
    }

    /// A call in this session; panics with the driver's message on an error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let reply = self.http(
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        if let Some(error) = reply["value"].get("error") {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                reply["value"]["message"]
            );
        }
        reply["value"].clone()
    }

    /// Opens a file (with an optional `#fragment`) and waits for the page's first render.
    pub fn open_file(&self, page: &Path, fragment: &str) {
        self.open(&format!("file://{}#{fragment}", page.display()));
    }

    /// Opens a URL afresh (a new document, even when only the fragment differs from the page
    /// on screen) and waits for the page's first render.
    pub fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": "about:blank" })));
        self.call("POST", "/url", Some(json!({ "url": url })));
        self.wait_for("document.body.dataset.loadMs !== undefined");
    }

    /// Waits (up to 10 s) until a script expression is true.
    pub fn wait_for(&self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.script(&format!("return !!({condition});"), json!([])) == true {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {condition}");
    }

    /// Runs a script in the page (`arguments[i]` are `args`); its return value.
    pub fn script(&self, body: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": body, "args": args})),
        )
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Element {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        Element(element_ref(&found))
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Element(element_ref(e)))
            .collect()
    }

    pub fn click(&self, element: &Element) {
        self.call(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    /// Types into an element (which takes the focus), as key presses.
    pub fn type_text(&self, element: &Element, text: &str) {
        self.call(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// The text a user sees in an element (empty when it is hidden).
    pub fn text(&self, element: &Element) -> String {
        self.call("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn displayed(&self, element: &Element) -> bool {
        self.call("GET", &format!("/element/{}/displayed", element.0), None) == true
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.call(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )
        .as_str()
        .map(str::to_string)
    }

    /// The URL fragment, without `#`.
    pub fn fragment(&self) -> String {
        self.script("return location.hash.slice(1);", json!([]))
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A mouse drag on an element, from its centre by (dx, dy) pixels.
    pub fn drag(&self, element: &Element, dx: i64, dy: i64) {
        let origin = element.as_arg();
        self.perform(json!([{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": origin, "x": 0, "y": 0},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerMove", "origin": "pointer", "x": dx, "y": dy, "duration": 100},
                {"type": "pointerUp", "button": 0},
            ],
        }]));
    }

    /// A mouse wheel turn at (x, y) pixels from an element's centre (negative `delta_y` zooms
    /// in).
    pub fn wheel(&self, element: &Element, (x, y): (i64, i64), delta_y: i64) {
        let origin = element.as_arg();
        self.perform(json!([{
            "type": "wheel", "id": "wheel",
            "actions": [{"type": "scroll", "origin": origin, "x": x, "y": y, "deltaX": 0, "deltaY": delta_y}],
        }]));
    }

    /// The mouse moved (no button held) to (x, y) pixels from an element's centre.
    pub fn hover(&self, element: &Element, (x, y): (i64, i64)) {
        let origin = element.as_arg();
        self.perform(json!([{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "origin": origin, "x": x, "y": y}],
        }]));
    }

    /// Keys pressed on whatever has the focus.
    pub fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.perform(json!([{"type": "key", "id": "keyboard", "actions": actions}]));
    }

    /// The `id` and `data-id` of the element with the focus (empty strings when it has none).
    pub fn focused(&self) -> (String, String) {
        let found = self.script(
            "const e = document.activeElement; return [e.id || '', (e.dataset && e.dataset.id) || ''];",
            json!([]),
        );
        let text = |i: usize| found[i].as_str().unwrap_or_default().to_string();
        (text(0), text(1))
    }

    fn perform(&self, actions: Value) {
        self.call("POST", "/actions", Some(json!({ "actions": actions })));
        self.call("DELETE", "/actions", None);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.http("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A chromedriver on a free port, ready for sessions. The port is chosen free, but another
/// process may take it before the driver binds it; then another port is tried.
fn start_driver(chromedriver: &Path) -> (Child, u16) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && matches!(driver.try_wait(), Ok(None)) {
            let address = format!("127.0.0.1:{port}");
            if let Some((200, body)) = http_get(&address, "/status", &address)
                && String::from_utf8_lossy(&body).contains("\"ready\":true")
            {
                return (driver, port);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = driver.kill();
        let _ = driver.wait();
    }
    panic!("chromedriver did not come up");
}

/// The value of `key` in a URL fragment (`a=1&b=2`), if it is there.
pub fn fragment_value(fragment: &str, key: &str) -> Option<String> {
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
}

fn element_ref(found: &Value) -> String {
    found[ELEMENT_KEY]
        .as_str()
        .unwrap_or_else(|| panic!("not an element: {found}"))
        .to_string()
}

/// A plain HTTP/1.1 GET to `address` naming `host`: the status and the body, or `None` when
/// nothing listens there.
pub fn http_get(address: &str, path: &str, host: &str) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(address).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // A driver still starting may reset the connection: that is "not there yet".
    read_reply(&mut stream).ok()
}

/// One HTTP/1.1 reply: the status and the body. Read by its length (or to the last chunk): the
/// driver may keep the connection open whatever the request asked.
fn read_reply(stream: &mut TcpStream) -> std::io::Result<(u16, Vec<u8>)> {
    let mut reply = Vec::new();
    let mut buffer = [0u8; 65536];
    loop {
        let read = stream.read(&mut buffer)?;
        reply.extend_from_slice(&buffer[..read]);
        let Some(split) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            continue;
        };
        let head = String::from_utf8_lossy(&reply[..split]).to_ascii_lowercase();
        let body = &reply[split + 4..];
        let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|l| l.trim().parse::<usize>().ok());
        let complete = match length {
            Some(length) => body.len() >= length,
            None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
            None => read == 0,
        };
        if complete {
            let body = if length.is_none() && head.contains("transfer-encoding: chunked") {
                unchunk(body)
            } else {
                body[..length.unwrap_or(body.len())].to_vec()
            };
            return Ok((status, body));
        }
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// An HTTP/1.1 chunked body, joined.
fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let chunk = &body[line_end + 2..];
        out.extend_from_slice(&chunk[..size]);
        body = chunk[size..]
            .strip_prefix(b"\r\n")
            .unwrap_or(&chunk[size..]);
    }
    out
}
