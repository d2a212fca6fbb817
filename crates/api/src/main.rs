mod doctor;

fn main() {}
