mod examples;
mod iso;
mod tree;
