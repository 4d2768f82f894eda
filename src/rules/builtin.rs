//! The built-in rule pack: every file of the project's `rules/` folder,
//! compiled in. A test checks this list against the folder.

pub const FILES: &[(&str, &str)] = &[];
