mod files;
mod tickets;
