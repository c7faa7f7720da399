//! A small faulty proxy between `propcast` and an emulator on 127.0.0.1: it forwards every
//! request, records it in the order it arrived, and, by the rules a test sets, answers some
//! with an error instead (a 503 the client should retry, a 400 it should not), delays them,
//! loses the reply of one that went through, changes the request (smaller pages) or rewrites
//! the emulator's reply (to report what the real service would where the emulator cannot: bytes
//! a dry run would scan, a statement type, a failed job). Each request gets its own connection
//! (`Connection: close`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::http::{dechunk, find};

/// What the proxy does with a matching request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answers with this status and a Google-style JSON error.
    Fail { status: u16, reason: &'static str },
    /// Forwards it (so it takes effect), then answers the client with this error instead of
    /// the reply: a reply lost on the way back.
    LoseReply { status: u16, reason: &'static str },
    /// Waits this long, then forwards it.
    Delay(std::time::Duration),
    /// Forwards it with `from` replaced by `to` in its target (path and query).
    RewriteTarget { from: String, to: String },
    /// Forwards it and replaces `from` with `to` in the reply's body.
    Rewrite { from: String, to: String },
}

/// Which requests a rule applies to: all the given parts must appear.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `POST`, `GET`, ...; empty for any.
    pub method: &'static str,
    /// Text the request line's target must contain.
    pub target: String,
    /// Text the request body must contain.
    pub body: String,
    pub action: Action,
    /// How many matching requests it applies to (every one when `None`).
    pub times: Option<usize>,
}

impl Rule {
    /// A rule for every request to a target containing `target`.
    pub fn on(target: &str, action: Action) -> Rule {
        Rule {
            method: "",
            target: target.to_string(),
            body: String::new(),
            action,
            times: None,
        }
    }

    pub fn method(self, method: &'static str) -> Rule {
        Rule { method, ..self }
    }

    /// Only requests whose body contains `body`.
    pub fn body(self, body: &str) -> Rule {
        Rule {
            body: body.to_string(),
            ..self
        }
    }

    /// Only the first `n` matching requests.
    pub fn times(self, n: usize) -> Rule {
        Rule {
            times: Some(n),
            ..self
        }
    }
}

/// One request that passed through, and how it was answered.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
    pub status: u16,
    /// Answered by a rule, not the emulator.
    pub injected: bool,
    /// When it was answered, counted with the arrivals: an exchange that arrived after another
    /// was answered has a greater `arrived` than that one's `answered`.
    pub arrived: usize,
    pub answered: usize,
}

impl Exchange {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Default)]
struct State {
    rules: Vec<(Rule, usize)>,
    log: Vec<Exchange>,
    /// Counts arrivals and answers together.
    clock: usize,
}

/// A proxy on a free port of 127.0.0.1 in front of `127.0.0.1:<upstream>`.
pub struct Proxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, upstream, &state);
                });
            }
        });
        Proxy { port, state }
    }

    /// `127.0.0.1:<port>`, for `STORAGE_EMULATOR_HOST` and `BIGQUERY_EMULATOR_HOST`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn add_rule(&self, rule: Rule) {
        self.state.lock().unwrap().rules.push((rule, 0));
    }

    pub fn clear_rules(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Every request so far, in the order they arrived.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

/// A request as read from the client.
struct Request {
    method: String,
    target: String,
    /// Header lines other than those the proxy sets itself.
    headers: Vec<String>,
    body: Vec<u8>,
}

fn serve(mut client: TcpStream, upstream: u16, state: &Mutex<State>) -> std::io::Result<()> {
    let mut request = read_request(&mut client)?;
    let (action, index) = {
        let mut state = state.lock().unwrap();
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let found = state.rules.iter_mut().find(|(rule, used)| {
            let applies = (rule.method.is_empty() || rule.method == request.method)
                && request.target.contains(&rule.target)
                && body.contains(&rule.body);
            applies && rule.times.is_none_or(|n| *used < n)
        });
        let action = found.map(|(rule, used)| {
            *used += 1;
            rule.action.clone()
        });
        // Logged on arrival, so the log keeps the order requests were sent in.
        state.clock += 1;
        let arrived = state.clock;
        state.log.push(Exchange {
            method: request.method.clone(),
            target: request.target.clone(),
            body: request.body.clone(),
            status: 0,
            injected: false,
            arrived,
            answered: 0,
        });
        (action, state.log.len() - 1)
    };
    match &action {
        Some(Action::Delay(pause)) => std::thread::sleep(*pause),
        Some(Action::RewriteTarget { from, to }) => {
            request.target = request.target.replace(from.as_str(), to);
        }
        _ => {}
    }
    let injected_error = |status: u16, reason: &str| {
        // The shape Google's JSON APIs answer errors in, with the status name they give.
        let name = match status {
            400 => "INVALID_ARGUMENT",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ALREADY_EXISTS",
            412 => "FAILED_PRECONDITION",
            429 => "RESOURCE_EXHAUSTED",
            503 => "UNAVAILABLE",
            _ => "INTERNAL",
        };
        let body = format!(
            r#"{{"error":{{"code":{status},"message":"injected by the test proxy","errors":[{{"domain":"global","reason":"{reason}","message":"injected by the test proxy"}}],"status":"{name}"}}}}"#
        );
        let response = format!(
            "HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        (status, response.into_bytes(), true)
    };
    let (status, response, injected) = match &action {
        Some(Action::Fail { status, reason }) => injected_error(*status, reason),
        Some(Action::LoseReply { status, reason }) => {
            forward(&request, upstream)?;
            injected_error(*status, reason)
        }
        _ => {
            let (status, mut head, mut body) = forward(&request, upstream)?;
            if let Some(Action::Rewrite { from, to }) = &action {
                body = String::from_utf8_lossy(&body)
                    .replace(from.as_str(), to)
                    .into_bytes();
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let mut response = head.into_bytes();
            response.extend_from_slice(&body);
            (status, response, false)
        }
    };
    {
        // Stamped before the answer is written: a client that reads it and sends its next
        // request at once must not arrive before the stamp is taken.
        let mut state = state.lock().unwrap();
        state.clock += 1;
        state.log[index].answered = state.clock;
        state.log[index].status = status;
        state.log[index].injected = injected;
    }
    client.write_all(&response)
}

fn read_request(client: &mut TcpStream) -> std::io::Result<Request> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            break end;
        }
        let n = client.read(&mut buffer)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_string();
    let target = request_line.next().unwrap_or("").to_string();
    let mut length = None;
    let mut chunked = false;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" | "keep-alive" => {}
            _ => headers.push(line.to_string()),
        }
    }
    let mut body = raw[head_end + 4..].to_vec();
    if chunked {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = client.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buffer[..n]);
        }
        body = dechunk(&body);
    } else {
        let length = length.unwrap_or(0);
        while body.len() < length {
            let n = client.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buffer[..n]);
        }
    }
    Ok(Request {
        method,
        target,
        headers,
        body,
    })
}

/// Sends `request` on to the emulator and reads its whole reply: the status, the head without
/// its framing headers (ending in `\r\n`, ready for new ones), and the body.
fn forward(request: &Request, upstream: u16) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for line in &request.headers {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    server.write_all(head.as_bytes())?;
    server.write_all(&request.body)?;
    let mut raw = Vec::new();
    server.read_to_end(&mut raw)?;
    let response = crate::http::parse_response(&raw);
    let mut head = format!("HTTP/1.1 {} Proxied\r\n", response.status);
    for (name, value) in &response.headers {
        let lower = name.to_ascii_lowercase();
        if !["content-length", "transfer-encoding", "connection"].contains(&lower.as_str()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    Ok((response.status, head, response.body))
}
