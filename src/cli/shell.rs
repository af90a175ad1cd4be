//! The interactive shell: line editing and history (rustyline), statements ending in `;` over as
//! many lines as they need, `exit`/`quit` to leave.

use std::path::Path;
use std::process::ExitCode;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::runner::Runner;

/// History file name, in the home directory (or the data directory without one).
const HISTORY_FILE: &str = ".tabvault_history";

/// Reads and runs statements until end of input or `exit`.
pub fn interactive(runner: &mut Runner<'_>, data: &Path) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("ERROR: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    let history = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(HISTORY_FILE))
        .unwrap_or_else(|| data.join(HISTORY_FILE));
    let _ = editor.load_history(&history);
    println!(
        "tabvault shell on {} — statements end with ';', `exit` to leave",
        data.display()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            format!("tabvault:{}> ", runner.current_database().unwrap_or(""))
        } else {
            "    -> ".to_owned()
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && is_exit(trimmed) {
                    break;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if buffer.trim_end().ends_with(';') {
                    let _ = editor.add_history_entry(buffer.as_str());
                    let text = std::mem::take(&mut buffer);
                    let _ = runner.run_script(&text);
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("ERROR: {e}");
                break;
            }
        }
    }
    let _ = editor.save_history(&history);
    ExitCode::SUCCESS
}

fn is_exit(line: &str) -> bool {
    let word = line.trim_end_matches(';').trim();
    word.eq_ignore_ascii_case("exit") || word.eq_ignore_ascii_case("quit") || word == "\\q"
}
