//! Run time: what talks to a container engine. Kept apart from the compile and lint pipeline so
//! that `build`, `check` and `lint` never start an async runtime.

pub mod monitor;
