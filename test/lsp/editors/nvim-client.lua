-- @fileoverview Neovim (0.7+) as the LSP client of the rcukit server, headless: opens the file
-- named by RCUKIT_FILE, starts the server with vim.lsp.start_client (0.7 has no vim.lsp.start),
-- attaches it to the buffer, waits for rcukit diagnostics, then writes what Neovim received and
-- what its diagnostic store holds to RCUKIT_OUT as JSON and quits. Driven by neovim.test.ts.

local env = function(name)
  local v = os.getenv(name)
  if v == nil or v == '' then error('missing environment variable ' .. name) end
  return v
end
local node, server, file, root, out = env('RCUKIT_NODE'), env('RCUKIT_SERVER'), env('RCUKIT_FILE'), env('RCUKIT_ROOT'), env('RCUKIT_OUT')
local timeout_ms = tonumber(os.getenv('RCUKIT_TIMEOUT_MS') or '60000')

local published = {}
local messages = {}

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = 'typescript'

local client_id = vim.lsp.start_client({
  name = 'rcukit',
  cmd = { node, server, '--stdio' },
  root_dir = root,
  -- Answered to the server's workspace/configuration request for the `rcukit` section.
  settings = { rcukit = { enable = true, debounceMs = 50 } },
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      table.insert(published, result)
      return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, config)
    end,
    ['window/showMessage'] = function(_, result)
      table.insert(messages, result)
    end,
  },
})
if client_id == nil then error('vim.lsp.start_client returned nil') end
vim.lsp.buf_attach_client(bufnr, client_id)

local uri = vim.uri_from_bufnr(bufnr)
local function has_findings()
  for _, p in ipairs(published) do
    if p.uri == uri and #p.diagnostics > 0 then return true end
  end
  return false
end
local arrived = vim.wait(timeout_ms, has_findings, 50)

-- What Neovim's own diagnostic store holds for the buffer (the diagnostics a user sees).
local stored = {}
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(stored, { lnum = d.lnum, col = d.col, message = d.message, source = d.source, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) })
end

local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode({ arrived = arrived, uri = uri, published = published, stored = stored, messages = messages, nvim = vim.version() }))
f:close()

local client = vim.lsp.get_client_by_id(client_id)
if client then client.stop() end
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd('qa!')
