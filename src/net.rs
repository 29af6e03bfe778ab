//! HTTP with a cap on what is read: a body over the limit (an endless or enormous reply) stops
//! the transfer with a message naming the limit instead of growing until memory runs out. The
//! request's timeout bounds the whole exchange (a silent server, a trickle), natively and in the
//! browser alike. Same code for both, over `ehttp`'s streaming fetch.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

/// The most an LLM reply may be: a proposal or a judge answer is kilobytes; 8 MB is generous.
pub const LLM_BODY_LIMIT: usize = 8 << 20;

type Done = Box<dyn FnOnce(Result<ehttp::Response, String>) + Send>;

struct State {
    partial: Option<ehttp::PartialResponse>,
    bytes: Vec<u8>,
    done: Option<Done>,
}

impl State {
    /// Delivers the result once; later calls (a timeout after the reply, chunks after a stop)
    /// do nothing.
    fn finish(&mut self, result: Result<ehttp::Response, String>) {
        if let Some(done) = self.done.take() {
            done(result);
        }
    }
}

/// Fetches `request`, reading at most `limit` bytes of body; `on_done` gets the response, or an
/// error that names the URL (transport failure, over the limit, timed out). It is called once.
pub fn fetch(
    request: ehttp::Request,
    limit: usize,
    on_done: impl FnOnce(Result<ehttp::Response, String>) + Send + 'static,
) {
    let url = request.url.clone();
    let timeout = request.timeout;
    let state = Arc::new(Mutex::new(State {
        partial: None,
        bytes: Vec::new(),
        done: Some(Box::new(on_done)),
    }));
    let started_ms = crate::coding::time::monotonic_ms();
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(t) = timeout {
        // a server that says nothing never calls back: a watchdog delivers the timeout
        let state = Arc::clone(&state);
        let url = url.clone();
        let _ = std::thread::Builder::new()
            .name("errata-http-timeout".to_owned())
            .spawn(move || {
                std::thread::sleep(t);
                if let Ok(mut s) = state.lock() {
                    s.finish(Err(timed_out(t, &url)));
                }
            });
    }
    let on_data = move |part: ehttp::Result<ehttp::streaming::Part>| -> ControlFlow<()> {
        let Ok(mut s) = state.lock() else {
            return ControlFlow::Break(());
        };
        if s.done.is_none() {
            return ControlFlow::Break(()); // already answered (timed out): stop reading
        }
        if let Some(t) = timeout
            && crate::coding::time::monotonic_ms() - started_ms > t.as_secs_f64() * 1000.0
        {
            s.finish(Err(timed_out(t, &url)));
            return ControlFlow::Break(());
        }
        match part {
            Err(e) => {
                s.finish(Err(format!("the request failed ({e}): {url}")));
                ControlFlow::Break(())
            }
            Ok(ehttp::streaming::Part::Response(r)) => {
                s.partial = Some(r);
                ControlFlow::Continue(())
            }
            Ok(ehttp::streaming::Part::Chunk(chunk)) if chunk.is_empty() => {
                let bytes = std::mem::take(&mut s.bytes);
                let result = match s.partial.take() {
                    Some(p) => Ok(p.complete(bytes)),
                    None => Err(format!("the server sent no response: {url}")),
                };
                s.finish(result);
                ControlFlow::Break(())
            }
            Ok(ehttp::streaming::Part::Chunk(chunk)) => {
                if s.bytes.len() + chunk.len() > limit {
                    s.bytes = Vec::new();
                    s.finish(Err(format!(
                        "the response is larger than errata's limit of {} for it; stopped reading: {url}",
                        crate::trace::load::fmt_bytes(limit as u64)
                    )));
                    return ControlFlow::Break(());
                }
                s.bytes.extend_from_slice(&chunk);
                ControlFlow::Continue(())
            }
        }
    };
    ehttp::streaming::fetch(request, on_data);
}

fn timed_out(t: std::time::Duration, url: &str) -> String {
    format!(
        "the request failed: no complete answer within {} s (timed out): {url}",
        t.as_secs()
    )
}

/// [`fetch`], waiting for the result (headless commands).
#[cfg(not(target_arch = "wasm32"))]
pub fn fetch_blocking(request: ehttp::Request, limit: usize) -> Result<ehttp::Response, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let url = request.url.clone();
    fetch(request, limit, move |r| {
        let _ = tx.send(r);
    });
    rx.recv()
        .map_err(|_| format!("the request ended without an answer: {url}"))?
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// A server on 127.0.0.1 that answers one connection with `head` then `body_chunks` chunks
    /// of 64 kB (endless when `None`), stopping when the client goes away.
    fn serve(head: &'static str, chunks: Option<usize>, delay_ms: u64) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        std::thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            if s.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 << 10];
            let mut sent = 0;
            while chunks.is_none_or(|n| sent < n) {
                if s.write_all(&chunk).is_err() {
                    return; // the client stopped reading
                }
                sent += 1;
            }
        });
        format!("http://{addr}/")
    }

    #[test]
    fn an_endless_body_stops_at_the_limit() {
        let url = serve(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n",
            None,
            0,
        );
        let started = std::time::Instant::now();
        let err = fetch_blocking(ehttp::Request::get(&url), 1 << 20).unwrap_err();
        assert!(err.contains("larger than errata's limit of 1 MB"), "{err}");
        assert!(started.elapsed().as_secs() < 10);
    }

    #[test]
    fn a_body_within_the_limit_arrives_whole() {
        let url = serve(
            "HTTP/1.1 200 OK\r\ncontent-length: 131072\r\n\r\n",
            Some(2),
            0,
        );
        let r = fetch_blocking(ehttp::Request::get(&url), 1 << 20).unwrap();
        assert_eq!(r.bytes.len(), 128 << 10);
        assert!(r.ok);
    }

    #[test]
    fn a_silent_server_times_out() {
        let url = serve("HTTP/1.1 200 OK\r\n\r\n", Some(0), 5_000);
        let mut req = ehttp::Request::get(&url);
        req.timeout = Some(std::time::Duration::from_secs(1));
        let started = std::time::Instant::now();
        let err = fetch_blocking(req, 1 << 20).unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        assert!(started.elapsed().as_secs() < 4);
    }
}
