fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let s = bumpguard::api::syn_engine::surface_from_dir(std::path::Path::new(&dir)).unwrap();
    for i in s.items.values() {
        println!("{:12} {} :: {} {}", i.kind.word(), i.path, i.signature, i.cfg.clone().map(|c| format!("[cfg {c}]")).unwrap_or_default());
    }
    for p in &s.problems { println!("PROBLEM {p}"); }
    for n in &s.notes { println!("NOTE {n}"); }
}
