//! Rule packs: parameters, and the checks that turn a working-time record
//! into findings.

pub mod catalog;
