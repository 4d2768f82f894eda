//! Contract tests for bumpguard.
//!
//! A contract test pins down something your code relies on in a dependency,
//! so that a bump which changes it fails here, on the pull request, rather
//! than in production. bumpguard runs these tests on the new version when a
//! bump triggers the rule they are bound to in bumpguard.toml:
//!
//! ```toml
//! [rule.certlib-acme]
//! crate = "certlib"
//! paths = ["tls::acme::**"]
//! reason = "certificates for every listener come from here"
//!
//! [[contract]]
//! rule = "certlib-acme"
//! package = "app"              # the package this file belongs to
//! test = "bumpguard_contracts" # this file
//! filter = "certlib_acme"      # the tests whose name contains this
//! ```
//!
//! Write one test per behaviour you depend on and name it after its rule,
//! so that the filter picks it. Assert on what your code needs (a default, a
//! format, an error kind), not on incidental details. Until you write one,
//! this file holds no test.

// An example for the made-up `certlib` crate; adapt it to a real dependency
// and remove the `//`:
//
// #[test]
// fn certlib_acme_renews_thirty_days_before_expiry() {
//     let opts = certlib::acme::Opts::default();
//     assert_eq!(opts.renew_before, std::time::Duration::from_secs(30 * 24 * 3600));
// }
