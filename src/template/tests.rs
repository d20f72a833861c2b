mod content;
mod corrections;
