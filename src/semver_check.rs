//! semver_check (being written)
