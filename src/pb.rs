//! Code generated from `proto/tidsvakt/v1` at build time.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

tonic::include_proto!("tidsvakt.v1");

/// The encoded descriptor set served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tidsvakt_descriptor.bin"));
