//! API tests: the real server, a real database, the generated clients.

mod helpers;

mod admin;
mod clock;
mod durability;
mod event_order;
mod service;
