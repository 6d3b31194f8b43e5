// Builds the demo front end into dist/: the page and the script it loads
// (no package manager and no network needed).
const fs = require("fs");
const path = require("path");
const dist = path.join(__dirname, "dist");
fs.mkdirSync(dist, { recursive: true });
fs.copyFileSync(path.join(__dirname, "index.js"), path.join(dist, "app.js"));
fs.writeFileSync(path.join(dist, "index.html"), '<!doctype html><script src="app.js"></script>\n');
console.log("built dist/index.html and dist/app.js");
