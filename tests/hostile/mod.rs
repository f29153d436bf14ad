mod inf;
mod iso;
mod json;
