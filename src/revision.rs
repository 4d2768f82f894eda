//! Revisions: which files a git repository holds at a commit, in its index or
//! in its working tree. (interface stub; the implementation is being written)
