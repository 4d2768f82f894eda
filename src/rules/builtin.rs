//! The built-in rule pack: every file of the project's `rules/` folder,
//! compiled in. A test checks this list against the folder.

pub const FILES: &[(&str, &str)] = &[
    (
        "aws-lc-rs-crypto",
        include_str!("../../rules/aws-lc-rs-crypto.toml"),
    ),
    ("h2-codec", include_str!("../../rules/h2-codec.toml")),
    ("h2-limits", include_str!("../../rules/h2-limits.toml")),
    (
        "http-header-parsing",
        include_str!("../../rules/http-header-parsing.toml"),
    ),
    (
        "http-request-line-parsing",
        include_str!("../../rules/http-request-line-parsing.toml"),
    ),
    (
        "hyper-0-14-builders",
        include_str!("../../rules/hyper-0-14-builders.toml"),
    ),
    ("hyper-http1", include_str!("../../rules/hyper-http1.toml")),
    ("hyper-http2", include_str!("../../rules/hyper-http2.toml")),
    (
        "hyper-rustls",
        include_str!("../../rules/hyper-rustls.toml"),
    ),
    (
        "ic-bn-lib-acme",
        include_str!("../../rules/ic-bn-lib-acme.toml"),
    ),
    (
        "instant-acme",
        include_str!("../../rules/instant-acme.toml"),
    ),
    ("native-tls", include_str!("../../rules/native-tls.toml")),
    ("openssl-ssl", include_str!("../../rules/openssl-ssl.toml")),
    (
        "openssl-x509",
        include_str!("../../rules/openssl-x509.toml"),
    ),
    (
        "reqwest-client-defaults",
        include_str!("../../rules/reqwest-client-defaults.toml"),
    ),
    ("reqwest-tls", include_str!("../../rules/reqwest-tls.toml")),
    ("ring-crypto", include_str!("../../rules/ring-crypto.toml")),
    ("rustls-acme", include_str!("../../rules/rustls-acme.toml")),
    (
        "rustls-cert-resolution",
        include_str!("../../rules/rustls-cert-resolution.toml"),
    ),
    (
        "rustls-config-builders",
        include_str!("../../rules/rustls-config-builders.toml"),
    ),
    (
        "rustls-crypto-provider",
        include_str!("../../rules/rustls-crypto-provider.toml"),
    ),
    (
        "rustls-pemfile",
        include_str!("../../rules/rustls-pemfile.toml"),
    ),
    (
        "rustls-pki-types-pem",
        include_str!("../../rules/rustls-pki-types-pem.toml"),
    ),
    (
        "rustls-pki-types-server-name",
        include_str!("../../rules/rustls-pki-types-server-name.toml"),
    ),
    (
        "rustls-side-effects",
        include_str!("../../rules/rustls-side-effects.toml"),
    ),
    (
        "rustls-verification",
        include_str!("../../rules/rustls-verification.toml"),
    ),
    (
        "rustls-webpki-crl",
        include_str!("../../rules/rustls-webpki-crl.toml"),
    ),
    (
        "rustls-webpki-verify",
        include_str!("../../rules/rustls-webpki-verify.toml"),
    ),
    (
        "serde-json-deserialization",
        include_str!("../../rules/serde-json-deserialization.toml"),
    ),
    (
        "serde-json-serialization",
        include_str!("../../rules/serde-json-serialization.toml"),
    ),
    (
        "tokio-rustls",
        include_str!("../../rules/tokio-rustls.toml"),
    ),
    (
        "tracing-subscriber-env-filter",
        include_str!("../../rules/tracing-subscriber-env-filter.toml"),
    ),
    (
        "tracing-subscriber-fmt",
        include_str!("../../rules/tracing-subscriber-fmt.toml"),
    ),
    ("url-parsing", include_str!("../../rules/url-parsing.toml")),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_file_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".toml"))
                    .map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let listed: Vec<String> = super::FILES.iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(
            listed, on_disk,
            "src/rules/builtin.rs must list every rules/*.toml"
        );
    }
}
