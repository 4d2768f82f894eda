//! The consumer workspace as cargo sees it (members, declared dependencies).
//! (interface stub; the implementation is being written)
