mod devices_cmd;
mod flags;
mod recipe_media;
mod scripts;
