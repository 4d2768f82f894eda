//! The one HTTP GET bumpguard needs, with the status codes sorted into the
//! cases callers treat differently.

use std::time::Duration;

/// Why a GET gave no body.
#[derive(Debug)]
pub(crate) enum HttpError {
    /// 403, 404, 410 or 451: the server says the thing is not there (or not
    /// for us). Cargo treats these as "no such crate" too.
    Missing { status: u16 },
    /// Any other non-2xx answer (rate limits, server errors).
    Status { url: String, status: u16 },
    /// DNS, connect, TLS, timeout or protocol failure.
    Transport { url: String, cause: String },
    /// The body was larger than the caller allows.
    TooLarge { url: String, limit: u64 },
    /// The URL itself is unusable (from a registry's `config.json`, say).
    BadUrl { url: String, cause: String },
}

/// A blocking client with timeouts, so a dead mirror fails instead of hanging
/// the whole check.
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    pub(crate) fn new() -> Self {
        let config = ureq::Agent::config_builder()
            // Status codes are sorted below; an error for 404 would lose them.
            .http_status_as_error(false)
            .user_agent(format!(
                "bumpguard/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                env!("CARGO_PKG_REPOSITORY")
            ))
            .timeout_resolve(Some(Duration::from_secs(15)))
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(30)))
            .timeout_recv_body(Some(Duration::from_secs(300)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(root_certs())
                    .build(),
            )
            .build();
        Http {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// GETs `url` and returns the body, refusing bodies over `limit` bytes.
    pub(crate) fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, HttpError> {
        let mut response = self.agent.get(url).call().map_err(|e| classify(url, e))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => {}
            403 | 404 | 410 | 451 => {
                return Err(HttpError::Missing { status });
            }
            _ => {
                return Err(HttpError::Status {
                    url: url.to_string(),
                    status,
                });
            }
        }
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| classify(url, e))
    }
}

/// Bundles the operating system's trust store is kept in, most common first
/// (Debian/Ubuntu/Arch, Fedora/RHEL, openSUSE, Alpine/macOS).
const SYSTEM_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The roots TLS certificates are checked against: `$SSL_CERT_FILE`, else
/// the system bundle, else Mozilla's roots built into ureq.
///
/// ureq alone only knows Mozilla's roots, but Cargo (through curl) trusts the
/// system store, and CI runners behind a TLS-inspecting proxy add the proxy's
/// CA there. Trusting the same store means bumpguard can download wherever
/// `cargo fetch` can.
fn root_certs() -> ureq::tls::RootCerts {
    let from_env = std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(std::path::PathBuf::from));
    for path in candidates {
        let Ok(pem) = std::fs::read(&path) else {
            continue;
        };
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if !certs.is_empty() {
            return ureq::tls::RootCerts::new_with_certs(&certs);
        }
    }
    ureq::tls::RootCerts::WebPki
}

fn classify(url: &str, error: ureq::Error) -> HttpError {
    let url = url.to_string();
    match error {
        ureq::Error::BodyExceedsLimit(limit) => HttpError::TooLarge { url, limit },
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            HttpError::BadUrl {
                url,
                cause: error.to_string(),
            }
        }
        ureq::Error::StatusCode(status) => HttpError::Status { url, status },
        other => HttpError::Transport {
            url,
            cause: other.to_string(),
        },
    }
}
