//! check (being written)
