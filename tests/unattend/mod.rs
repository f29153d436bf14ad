mod answer;
mod first_logon;
mod versions;
