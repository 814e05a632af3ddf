//! A fault-injecting TCP proxy in front of the control plane, on 127.0.0.1. It relays bytes and
//! never looks inside them: TLS passes through untouched, so certificates still verify against
//! 127.0.0.1 and credentials are the control plane's own.
//!
//! What a "request" is. Through TLS the proxy cannot see HTTP messages, so faults are placed by
//! counting *chunks*: one chunk is one read the proxy makes from a client socket, counted across
//! all connections of the proxy. kube's client speaks HTTP/1.1 over one keep-alive connection and
//! sends a request only after the previous answer arrived, so a run is a sequence of chunks:
//! the TLS handshake (ClientHello, then the client's Finished), then typically one chunk per
//! request (a big request body may take several). Cutting at chunk K for K = 1, 2, 3, … until a
//! run finishes before reaching K therefore cuts the conversation at every point it has.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Relay everything.
    Pass,
    /// Accept, then close at once (a load balancer whose backend is down).
    Refuse,
    /// On the first `connections` connections (counted from when the mode is set), relay the
    /// server's first `server_bytes` bytes, then reset (RST) the client's connection.
    ResetAfter { server_bytes: usize, connections: usize },
    /// Relay the server's first `server_bytes` bytes, then hold everything else back for as
    /// long as the client waits (a server that stopped answering).
    Stall { server_bytes: usize },
    /// Relay the server's bytes `bytes` at a time with `pause` after each piece (a slow link):
    /// long lists take seconds without failing.
    Throttle { bytes: usize, pause: Duration },
    /// Hold each client chunk back for `each` before relaying it (a distant server): every
    /// request takes at least that long, however small, and lands even when the client has
    /// gone meanwhile.
    Delay { each: Duration },
    /// At client chunk `chunk`: when `deliver`, relay that chunk to the server and throw its
    /// answer away, else drop the chunk; then reset the client's connection. Afterwards every
    /// connection is relayed (`then_dead` false) or reset on accept (`then_dead` true).
    Cut {
        chunk: usize,
        deliver: bool,
        then_dead: bool,
    },
    /// Every `every`-th client chunk (counted across all connections) is relayed to the server,
    /// its answer thrown away and the client's connection reset: requests that land but whose
    /// answers are lost, over and over, among many clients at once.
    CutEvery { every: usize },
}

struct Shared {
    upstream: SocketAddr,
    mode: Mutex<Mode>,
    /// Connections accepted since the mode was set.
    connections: AtomicUsize,
    /// Client chunks since the mode was set.
    chunks: AtomicUsize,
    /// Whether a `Cut` happened since the mode was set.
    cut: AtomicBool,
    /// How many connections a cut mode reset since the mode was set.
    cuts: AtomicUsize,
    dead: AtomicBool,
    /// Bumped by `cut_open_connections`: every relay running then resets its client.
    cut_signal: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Proxy {
    /// A proxy to the server of `kubeconfig`'s first cluster.
    pub fn start(kubeconfig: &Path) -> Proxy {
        let server = cluster_server(kubeconfig);
        let address = server
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .parse::<SocketAddr>()
            .unwrap_or_else(|e| panic!("control plane address {server:?}: {e}"));
        let shared = Arc::new(Shared {
            upstream: address,
            mode: Mutex::new(Mode::Pass),
            connections: AtomicUsize::new(0),
            chunks: AtomicUsize::new(0),
            cut: AtomicBool::new(false),
            cuts: AtomicUsize::new(0),
            dead: AtomicBool::new(false),
            cut_signal: tokio::sync::watch::Sender::new(0),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let port = listener.local_addr().expect("proxy address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    _ = accept_loop(listener, state) => {}
                    _ = stopped => {}
                }
            });
        });
        Proxy {
            port,
            shared,
            stop: Some(stop),
        }
    }

    /// Sets the mode and restarts the counters.
    pub fn set(&self, mode: Mode) {
        *self
            .shared
            .mode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = mode;
        self.shared.connections.store(0, Ordering::SeqCst);
        self.shared.chunks.store(0, Ordering::SeqCst);
        self.shared.cut.store(false, Ordering::SeqCst);
        self.shared.cuts.store(0, Ordering::SeqCst);
        self.shared.dead.store(false, Ordering::SeqCst);
    }

    /// Resets every connection open now (long-running watches included) with RST; the mode
    /// decides what happens to the next ones.
    pub fn cut_open_connections(&self) {
        self.shared.cut_signal.send_modify(|n| *n += 1);
    }

    /// Whether a `Cut` took place since the mode was set.
    pub fn was_cut(&self) -> bool {
        self.shared.cut.load(Ordering::SeqCst)
    }

    /// Connections reset by `Cut` or `CutEvery` since the mode was set.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    /// Client chunks relayed since the mode was set.
    pub fn chunks(&self) -> usize {
        self.shared.chunks.load(Ordering::SeqCst)
    }

    /// Connections accepted since the mode was set.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// `https://127.0.0.1:<port>`, as the plugin names the server in messages.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A copy of `kubeconfig` (same CA and users) whose clusters point at this proxy.
    pub fn kubeconfig(&self, kubeconfig: &Path, dir: &Path) -> PathBuf {
        let mut config = read_yaml(kubeconfig);
        for cluster in config["clusters"].as_array_mut().into_iter().flatten() {
            cluster["cluster"]["server"] = Value::from(self.url());
        }
        let path = dir.join(format!("proxy-{}.kubeconfig", self.port));
        std::fs::write(
            &path,
            kubectl_kfp::yaml::to_string(&config).expect("kubeconfig yaml"),
        )
        .expect("write proxy kubeconfig");
        path
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn read_yaml(path: &Path) -> Value {
    kubectl_kfp::yaml::from_str(&std::fs::read_to_string(path).expect("read kubeconfig"))
        .expect("kubeconfig yaml")
}

/// The `server` of a kubeconfig's first cluster.
pub fn cluster_server(kubeconfig: &Path) -> String {
    read_yaml(kubeconfig)["clusters"][0]["cluster"]["server"]
        .as_str()
        .expect("cluster server")
        .to_string()
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let number = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::spawn(relay(client, Arc::clone(&shared), number));
    }
}

/// Closes a connection with RST instead of FIN, as a crashed peer or a middlebox would.
async fn reset(mut client: TcpStream) {
    // Give bytes already written a moment to leave before the reset discards the send buffer.
    let _ = client.flush().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let _ = client.set_zero_linger();
    drop(client);
}

async fn relay(mut client: TcpStream, shared: Arc<Shared>, connection: usize) {
    let mode = shared.mode();
    if shared.dead.load(Ordering::SeqCst) {
        reset(client).await;
        return;
    }
    if mode == Mode::Refuse {
        drop(client);
        return;
    }
    let Ok(mut server) = TcpStream::connect(shared.upstream).await else {
        reset(client).await;
        return;
    };
    let mut cuts = shared.cut_signal.subscribe();
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_server = vec![0u8; 64 * 1024];
    let mut server_bytes = 0usize;
    let mut client_open = true;
    let mut stalled = false;
    // One task per connection, reading both sides: HTTP/1.1 never fills both directions at once,
    // so writing inline cannot deadlock.
    loop {
        tokio::select! {
            _ = cuts.changed() => {
                reset(client).await;
                return;
            }
            read = client.read(&mut from_client), if client_open => {
                let n = match read {
                    Ok(0) | Err(_) => {
                        client_open = false;
                        // A request held back is already on its way: the server still gets
                        // to act on it (a closed connection would make it drop the request).
                        if !matches!(mode, Mode::Delay { .. }) {
                            let _ = server.shutdown().await;
                        }
                        if stalled {
                            return;
                        }
                        continue;
                    }
                    Ok(n) => n,
                };
                let chunk = shared.chunks.fetch_add(1, Ordering::SeqCst) + 1;
                if let Mode::CutEvery { every } = mode
                    && chunk.is_multiple_of(every)
                {
                    shared.cuts.fetch_add(1, Ordering::SeqCst);
                    let _ = server.write_all(&from_client[..n]).await;
                    reset(client).await;
                    let _ = tokio::time::timeout(Duration::from_secs(5), server.read(&mut from_server)).await;
                    return;
                }
                if let Mode::Cut { chunk: at, deliver, then_dead } = mode
                    && chunk == at
                    && !shared.cut.swap(true, Ordering::SeqCst)
                {
                    shared.cuts.fetch_add(1, Ordering::SeqCst);
                    shared.dead.store(then_dead, Ordering::SeqCst);
                    if deliver {
                        let _ = server.write_all(&from_client[..n]).await;
                    }
                    reset(client).await;
                    if deliver {
                        // Let the server act on the request; its answer is lost on the way back.
                        let _ = tokio::time::timeout(Duration::from_secs(5), server.read(&mut from_server)).await;
                    }
                    return;
                }
                if let Mode::Delay { each } = mode {
                    tokio::time::sleep(each).await;
                }
                if server.write_all(&from_client[..n]).await.is_err() {
                    reset(client).await;
                    return;
                }
            }
            read = server.read(&mut from_server) => {
                let n = match read {
                    Ok(0) | Err(_) => {
                        let _ = client.shutdown().await;
                        return;
                    }
                    Ok(n) => n,
                };
                if stalled {
                    continue;
                }
                let limit = match mode {
                    Mode::ResetAfter { server_bytes: limit, connections } if connection <= connections => Some(limit),
                    Mode::Stall { server_bytes: limit } => Some(limit),
                    _ => None,
                };
                match limit {
                    Some(limit) if server_bytes + n > limit => {
                        let keep = limit.saturating_sub(server_bytes);
                        let _ = client.write_all(&from_server[..keep]).await;
                        server_bytes += keep;
                        if let Mode::Stall { .. } = mode {
                            stalled = true;
                            continue;
                        }
                        reset(client).await;
                        return;
                    }
                    _ => {
                        let piece = match mode {
                            Mode::Throttle { bytes, .. } => bytes.max(1),
                            _ => n,
                        };
                        for bytes in from_server[..n].chunks(piece) {
                            if client.write_all(bytes).await.is_err() {
                                return;
                            }
                            if let Mode::Throttle { pause, .. } = mode {
                                tokio::time::sleep(pause).await;
                            }
                        }
                        server_bytes += n;
                    }
                }
            }
        }
    }
}
