//! The effect table: which calls, methods and macros count as an effect.
//!
//! One data table, so it can grow without touching the matching code. A
//! rule matches by the *name written in the source* (bumpguard does not
//! resolve types), so it is a good signal, not a proof: `.connect()` on a
//! type that has nothing to do with sockets still counts as network.

use serde::Serialize;
use std::fmt;

/// Something a function does to the world outside its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    Spawn,
    FileSystem,
    Network,
    Process,
    Environment,
    Unsafe,
    Panic,
    Sleep,
    Randomness,
}

impl Effect {
    /// Words for reports: "task spawn removed".
    pub fn words(self) -> &'static str {
        match self {
            Effect::Spawn => "task spawn",
            Effect::FileSystem => "file system access",
            Effect::Network => "network access",
            Effect::Process => "process control",
            Effect::Environment => "environment variable access",
            Effect::Unsafe => "unsafe code",
            Effect::Panic => "panic path",
            Effect::Sleep => "sleep or timeout",
            Effect::Randomness => "randomness",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// How a rule recognises an effect.
#[derive(Debug, Clone, Copy)]
pub enum Pattern {
    /// A call whose path's last segment is this (`spawn` matches `tokio::spawn`).
    Last(&'static str),
    /// A call whose path has this segment anywhere but last (`fs` matches `std::fs::write`).
    Segment(&'static str),
    /// A call whose path is exactly these last two segments (`Command::new`).
    Pair(&'static str, &'static str),
    /// A method call `.name(..)`.
    Method(&'static str),
    /// A macro `name!(..)`.
    Macro(&'static str),
}

use Effect::*;
use Pattern::*;

/// The table. Order does not matter; every matching rule counts.
pub const RULES: &[(Effect, Pattern)] = &[
    (Spawn, Last("spawn")),
    (Spawn, Last("spawn_blocking")),
    (Spawn, Last("spawn_local")),
    (Spawn, Last("spawn_on")),
    (Spawn, Method("spawn")),
    (Spawn, Method("spawn_blocking")),
    (Spawn, Method("spawn_local")),
    (FileSystem, Segment("fs")),
    (FileSystem, Pair("File", "open")),
    (FileSystem, Pair("File", "create")),
    (FileSystem, Pair("File", "options")),
    (FileSystem, Pair("OpenOptions", "new")),
    (FileSystem, Pair("DirBuilder", "new")),
    (Network, Segment("TcpStream")),
    (Network, Segment("TcpListener")),
    (Network, Segment("UdpSocket")),
    (Network, Segment("UnixStream")),
    (Network, Segment("UnixListener")),
    (Network, Segment("reqwest")),
    (Network, Segment("ureq")),
    (Network, Last("lookup_host")),
    (Network, Method("to_socket_addrs")),
    (Network, Method("connect")),
    (Network, Method("bind")),
    (Network, Method("accept")),
    (Network, Method("send_to")),
    (Network, Method("recv_from")),
    (Process, Pair("Command", "new")),
    (Process, Pair("process", "exit")),
    (Process, Pair("process", "abort")),
    (Process, Pair("process", "id")),
    (Environment, Pair("env", "var")),
    (Environment, Pair("env", "var_os")),
    (Environment, Pair("env", "vars")),
    (Environment, Pair("env", "set_var")),
    (Environment, Pair("env", "remove_var")),
    (Environment, Pair("env", "args")),
    (Environment, Pair("env", "args_os")),
    (Environment, Pair("env", "current_dir")),
    (Environment, Pair("env", "set_current_dir")),
    (Environment, Pair("env", "temp_dir")),
    (Environment, Pair("env", "home_dir")),
    (Panic, Macro("panic")),
    (Panic, Macro("unreachable")),
    (Panic, Macro("todo")),
    (Panic, Macro("unimplemented")),
    (Panic, Macro("assert")),
    (Panic, Macro("assert_eq")),
    (Panic, Macro("assert_ne")),
    (Panic, Method("unwrap")),
    (Panic, Method("expect")),
    (Panic, Method("unwrap_err")),
    (Panic, Method("expect_err")),
    (Sleep, Last("sleep")),
    (Sleep, Last("sleep_until")),
    (Sleep, Last("timeout")),
    (Sleep, Last("timeout_at")),
    (Sleep, Last("interval")),
    (Sleep, Method("sleep")),
    (Sleep, Method("timeout")),
    (Randomness, Segment("rand")),
    (Randomness, Last("thread_rng")),
    (Randomness, Last("random")),
    (Randomness, Last("rng")),
    (Randomness, Segment("OsRng")),
    (Randomness, Segment("getrandom")),
    (Randomness, Segment("fastrand")),
    (Randomness, Pair("StdRng", "from_entropy")),
];

/// What a piece of code does, as the source writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site<'a> {
    /// A call through a path: segments without generics (`["tokio", "spawn"]`).
    Call(&'a [String]),
    Method(&'a str),
    Macro(&'a str),
}

/// The effects one site has, by the table.
pub fn effects_of(site: Site<'_>) -> Vec<Effect> {
    let mut out: Vec<Effect> = RULES
        .iter()
        .filter(|(_, p)| matches(*p, site))
        .map(|(e, _)| *e)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn matches(p: Pattern, site: Site<'_>) -> bool {
    match (p, site) {
        (Last(name), Site::Call(segs)) => segs.last().is_some_and(|l| l == name),
        (Segment(name), Site::Call(segs)) => {
            segs.len() > 1 && segs[..segs.len() - 1].iter().any(|s| s == name)
        }
        (Pair(a, b), Site::Call(segs)) => {
            segs.len() >= 2 && segs[segs.len() - 2] == a && segs[segs.len() - 1] == b
        }
        (Method(name), Site::Method(m)) => m == name,
        (Macro(name), Site::Macro(m)) => m == name,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(s: &str) -> Vec<Effect> {
        let segs: Vec<String> = s.split("::").map(str::to_string).collect();
        effects_of(Site::Call(&segs))
    }

    #[test]
    fn the_table_reads_like_the_source() {
        assert_eq!(call("tokio::spawn"), vec![Spawn]);
        assert_eq!(call("std::thread::spawn"), vec![Spawn]);
        assert_eq!(call("std::fs::read_to_string"), vec![FileSystem]);
        assert_eq!(call("fs::write"), vec![FileSystem]);
        assert_eq!(call("File::open"), vec![FileSystem]);
        assert_eq!(call("TcpStream::connect"), vec![Network]);
        assert_eq!(call("Command::new"), vec![Process]);
        assert_eq!(call("std::env::var"), vec![Environment]);
        assert_eq!(call("tokio::time::sleep"), vec![Sleep]);
        assert_eq!(call("rand::random"), vec![Randomness]);
        assert!(call("Vec::new").is_empty());
        assert!(
            call("fs").is_empty(),
            "a function merely named fs is not file access"
        );
        assert_eq!(effects_of(Site::Method("unwrap")), vec![Panic]);
        assert_eq!(effects_of(Site::Macro("panic")), vec![Panic]);
        assert!(effects_of(Site::Macro("format")).is_empty());
    }
}
