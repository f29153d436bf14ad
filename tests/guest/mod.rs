mod devices_cmd;
mod recipe_media;
mod scripts;
