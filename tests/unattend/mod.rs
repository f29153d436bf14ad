mod answer;
mod first_logon;
