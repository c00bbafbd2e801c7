//! `scaiflow lsp` in a real editor: headless Neovim starts the server with its built-in LSP
//! client, opens a flow with a dangling edge, and the test reads back what the editor got:
//! the diagnostics (which must be `scaiflow validate`'s) and where go-to-definition on an
//! edge's `"node"` puts the cursor (on the node's `"id"`).
//!
//! Where `nvim` is not installed (or is older than 0.7) the test says so on stderr and
//! skips; `.ci/run` installs it.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Neovim is killed after this long, whatever it is doing.
const NVIM_TIMEOUT: Duration = Duration::from_secs(120);

/// Run by `nvim --headless -c 'luafile attach.lua'`, in the test's temporary directory.
/// Its input is the environment (`SF_*`); its output, a JSON object in `$SF_RESULT`. It
/// ends Neovim itself: `qall!` when all went well, `cquit 1` (after writing `error`) when
/// not. Written for Neovim 0.7 (no `vim.lsp.start`, UTF-16 offsets) and up.
const SCRIPT: &str = r##"
local result = {}
local uv = vim.uv or vim.loop

local function write(tbl)
  local f = assert(io.open(os.getenv('SF_RESULT'), 'w'))
  f:write(vim.fn.json_encode(tbl))
  f:close()
end

local function main()
  local bin, file, root = os.getenv('SF_BIN'), os.getenv('SF_FLOW'), os.getenv('SF_ROOT')
  local v = vim.version()
  result.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local exited = {}
  local config = {
    name = 'scaiflow',
    cmd = { bin, 'lsp' },
    root_dir = root,
    on_exit = function(code, signal)
      exited.code = code
      exited.signal = signal
    end,
  }
  local client_id
  if vim.lsp.start then
    -- Neovim 0.8 and up: starts the client and attaches the current buffer.
    result.attach = 'vim.lsp.start'
    client_id = vim.lsp.start(config)
  else
    result.attach = 'vim.lsp.start_client'
    client_id = vim.lsp.start_client(config)
    assert(client_id, 'vim.lsp.start_client failed')
    assert(vim.lsp.buf_attach_client(bufnr, client_id), 'vim.lsp.buf_attach_client failed')
  end
  assert(client_id, 'no LSP client')

  -- (1) The diagnostics, as vim.diagnostic holds them.
  local t0 = uv.hrtime()
  local published = vim.wait(30000, function()
    return #vim.diagnostic.get(bufnr) > 0 or exited.code ~= nil
  end, 20)
  if exited.code ~= nil then
    error(string.format('the server exited (code %s, signal %s)', exited.code, exited.signal))
  elseif not published then
    error('no diagnostics within 30 s of attaching')
  end
  result.diagnostics_ms = (uv.hrtime() - t0) / 1e6
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if not result.diagnostic_keys then
      result.diagnostic_keys = vim.tbl_keys(d)
      table.sort(result.diagnostic_keys)
    end
    local lsp = (d.user_data or {}).lsp or {}
    local href = lsp.codeDescription and lsp.codeDescription.href
    table.insert(result.diagnostics, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      message = d.message,
      source = d.source or vim.NIL,
      code = d.code or lsp.code or vim.NIL,
      href = href or vim.NIL,
    })
  end

  -- (2) Go to definition from the source end of the edge out of node_start.
  local needle = '"node": "node_start"'
  local row, col
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local s = line:find(needle, 1, true)
    if s then
      -- 0-based byte column of the `n` of the value, inside its quotes.
      row, col = i, s - 1 + #'"node": "'
      break
    end
  end
  assert(row, 'no ' .. needle .. ' in the buffer')
  vim.api.nvim_win_set_cursor(0, { row, col })
  result.from = vim.api.nvim_win_get_cursor(0)
  t0 = uv.hrtime()
  vim.lsp.buf.definition()
  local moved = vim.wait(30000, function()
    local c = vim.api.nvim_win_get_cursor(0)
    return c[1] ~= row or c[2] ~= col
  end, 20)
  if not moved then
    error('the cursor did not move within 30 s of vim.lsp.buf.definition()')
  end
  result.definition_ms = (uv.hrtime() - t0) / 1e6
  result.to = vim.api.nvim_win_get_cursor(0)
  result.to_file = vim.api.nvim_buf_get_name(0)
  result.to_line = vim.api.nvim_get_current_line()

  -- Stop the client: shutdown, exit, and the server's exit status.
  vim.lsp.stop_client(client_id)
  if not vim.wait(10000, function() return exited.code ~= nil end, 20) then
    error('the server did not exit within 10 s of vim.lsp.stop_client()')
  end
  result.server_exit = exited
  write(result)
end

local ok, err = xpcall(main, debug.traceback)
if ok then
  vim.cmd('qall!')
else
  result.error = tostring(err)
  pcall(write, result)
  vim.cmd('cquit 1')
end
"##;

/// Writes past libtest's output capture, so a skip is seen.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// The installed Neovim's version, or why the test cannot run.
fn nvim_version() -> Result<(u32, u32, u32), String> {
    let out = Command::new("nvim")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`nvim --version`: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    let v = first
        .strip_prefix("NVIM v")
        .ok_or_else(|| format!("`nvim --version` says {first:?}"))?;
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    Ok((next(), next(), next()))
}

/// What a Neovim run left behind.
struct Run {
    /// `None`: killed after [`NVIM_TIMEOUT`].
    status: Option<ExitStatus>,
    elapsed: Duration,
    result: Option<Value>,
    /// Neovim's stdout and stderr, the result file and the LSP client's log, for failures.
    log: String,
}

fn run_nvim(dir: &Path, flow: &Path) -> Run {
    let script = dir.join("attach.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let result_path = dir.join("result.json");
    let xdg = dir.join("xdg");
    let stdout = std::fs::File::create(dir.join("nvim.stdout")).unwrap();
    let stderr = std::fs::File::create(dir.join("nvim.stderr")).unwrap();
    let started = Instant::now();
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        // If the script fails before it quits (say, it does not parse), exit 3.
        .args(["-c", "luafile attach.lua", "-c", "cquit 3"])
        .current_dir(dir)
        .env("SF_BIN", env!("CARGO_BIN_EXE_scaiflow"))
        .env("SF_FLOW", flow)
        .env("SF_ROOT", dir)
        .env("SF_RESULT", &result_path)
        // Neovim's state, cache (lsp.log) and config stay in the temporary directory.
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .env_remove("NVIM")
        .env_remove("NVIM_LISTEN_ADDRESS")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("nvim starts");
    let deadline = started + NVIM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| format!("({e})"));
    let raw = read(&result_path);
    let lsp_log = [
        xdg.join("cache/nvim/lsp.log"),
        xdg.join("state/nvim/lsp.log"),
    ]
    .iter()
    .map(|p| read(p))
    .find(|t| !t.starts_with('('))
    .unwrap_or_default();
    let log = format!(
        "nvim exit: {status:?} after {elapsed:?}\n--- nvim stdout\n{}\n--- nvim stderr\n{}\n--- result\n{raw}\n--- lsp.log\n{lsp_log}",
        read(&dir.join("nvim.stdout")),
        read(&dir.join("nvim.stderr")),
    );
    Run {
        status,
        elapsed,
        result: serde_json::from_str(&raw).ok(),
        log,
    }
}

/// The 0-based line and 0-based byte column (Neovim's `lnum` / `col`) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() as u64,
        (offset - line_start) as u64,
    )
}

/// Neovim's 0-based (`lnum`, byte `col`) of the CLI's 1-based `line` and `column` (the
/// CLI counts columns in characters).
fn nvim_pos(text: &str, line: u64, column: u64) -> (u64, u64) {
    let l = text
        .lines()
        .nth(line as usize - 1)
        .expect("the line exists");
    let col = l
        .char_indices()
        .map(|(i, _)| i)
        .chain([l.len()])
        .nth(column as usize - 1)
        .expect("the column exists");
    (line - 1, col as u64)
}

#[test]
fn neovim_shows_the_diagnostics_and_jumps_to_the_definition() {
    let version = match nvim_version() {
        Ok(v) if v >= (0, 7, 0) => v,
        Ok(v) => {
            say(&format!(
                "SKIPPED lsp_nvim: Neovim {}.{}.{} is older than 0.7",
                v.0, v.1, v.2
            ));
            return;
        }
        Err(why) => {
            say(&format!(
                "SKIPPED lsp_nvim: Neovim is not installed ({why}); `apt-get install neovim` to run it"
            ));
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("support.flow.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sf203-dangling-source.json"),
        &flow,
    )
    .unwrap();
    let text = std::fs::read_to_string(&flow).unwrap();

    let run = run_nvim(dir.path(), &flow);
    let log = &run.log;
    assert!(
        run.status.is_some(),
        "nvim killed after {NVIM_TIMEOUT:?}\n{log}"
    );
    assert!(run.status.unwrap().success(), "nvim failed\n{log}");
    let r = run
        .result
        .as_ref()
        .unwrap_or_else(|| panic!("no result\n{log}"));
    assert!(r.get("error").is_none(), "{log}");

    // (1) The diagnostics are `scaiflow validate`'s.
    let cli = common::validate_records(&flow);
    assert_eq!(cli.len(), 1, "{cli:#?}");
    assert_eq!(cli[0]["code"], "SF203");
    let mut want: Vec<Value> = cli
        .iter()
        .map(|c| {
            let (lnum, col) = nvim_pos(
                &text,
                c["line"].as_u64().unwrap(),
                c["column"].as_u64().unwrap(),
            );
            let end = line_col(&text, c["span"]["end"].as_u64().unwrap() as usize);
            let code = c["code"].as_str().unwrap();
            serde_json::json!({
                "lnum": lnum,
                "col": col,
                "end_lnum": end.0,
                "end_col": end.1,
                // vim.diagnostic.severity: ERROR 1, WARN 2.
                "severity": if c["severity"] == "error" { 1 } else { 2 },
                "message": c["message"],
                "source": "scaiflow",
                "code": code,
            })
        })
        .collect();
    let mut got = r["diagnostics"].as_array().unwrap().clone();
    let key = |d: &Value| (d["lnum"].as_u64(), d["col"].as_u64(), d["code"].to_string());
    want.sort_by_key(key);
    got.sort_by_key(key);
    // The code's explanation, as a link (its prefix is the server's business).
    for (g, w) in got.iter_mut().zip(&want) {
        let href = g
            .as_object_mut()
            .unwrap()
            .remove("href")
            .unwrap_or_default();
        let anchor = format!(
            "docs/codes.md#{}",
            w["code"].as_str().unwrap().to_ascii_lowercase()
        );
        assert!(
            href.as_str().unwrap_or("").ends_with(&anchor),
            "{href} {anchor}\n{log}"
        );
    }
    assert_eq!(got, want, "{log}");
    // The SF203 is on the misspelt id: line 63, the value's opening quote.
    let (lnum, col) = (
        got[0]["lnum"].as_u64().unwrap(),
        got[0]["col"].as_u64().unwrap(),
    );
    let line = text.lines().nth(lnum as usize).unwrap();
    assert!(
        line[col as usize..].starts_with("\"node_sumarise\""),
        "{line:?}"
    );

    // (2) Go to definition: from the edge's `"node": "node_start"` to the node's `"id"`.
    let edge_end = text.find("\"node\": \"node_start\"").unwrap();
    let (from_line, from_col) = line_col(&text, edge_end + "\"node\": \"".len());
    assert_eq!(
        r["from"],
        serde_json::json!([from_line + 1, from_col]),
        "{log}"
    );
    let id_value = text.find("\"id\": \"node_start\"").unwrap() + "\"id\": ".len();
    let (to_line, to_col) = line_col(&text, id_value);
    assert!(to_line != from_line);
    let to = r["to"].as_array().unwrap();
    let (row, col) = (to[0].as_u64().unwrap(), to[1].as_u64().unwrap());
    assert_eq!(
        row,
        to_line + 1,
        "the cursor is on the id's line (1-based)\n{log}"
    );
    let value_len = "\"node_start\"".len() as u64;
    assert!(
        (to_col..to_col + value_len).contains(&col),
        "the cursor is on the id's value: column {col}, value at {to_col}..{}\n{log}",
        to_col + value_len
    );
    assert_eq!(
        Path::new(r["to_file"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        flow.canonicalize().unwrap(),
        "{log}"
    );
    assert!(
        r["to_line"]
            .as_str()
            .unwrap()
            .contains("\"id\": \"node_start\""),
        "{log}"
    );

    // The client stopped the server cleanly: shutdown, exit, status 0.
    assert_eq!(r["server_exit"]["code"], 0, "{log}");

    // Shown with `--nocapture`.
    println!(
        "lsp_nvim: Neovim {}.{}.{} ({}) got {} diagnostic(s) in {:.0} ms, jumped to {}:{} in {:.0} ms; {:.2?} in all",
        version.0,
        version.1,
        version.2,
        r["attach"].as_str().unwrap_or("?"),
        got.len(),
        r["diagnostics_ms"].as_f64().unwrap_or(f64::NAN),
        row,
        col,
        r["definition_ms"].as_f64().unwrap_or(f64::NAN),
        run.elapsed,
    );
}
