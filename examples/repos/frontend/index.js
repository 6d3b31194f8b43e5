// A tiny front end: formats an uptime for a status page.
const ms = require("ms");
const escapeHtml = require("escape-html");

function statusLine(name, uptimeMs) {
  return `<p>${escapeHtml(name)} up ${ms(uptimeMs, { long: true })}</p>`;
}

module.exports = { statusLine };
