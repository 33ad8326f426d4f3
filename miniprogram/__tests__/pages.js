// Loading a page or component with miniprogram-simulate's pure-JS compiler, with a fresh `wx` and app.
const path = require('path')
const simulate = require('miniprogram-simulate')
const { mockWx } = require('./mockwx')

const ROOT = path.resolve(__dirname, '..')

// jest keeps required modules, so a page's Component() runs once per test file: each is loaded once, rendered anew
const loaded = {}
function load(name) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, name), { compiler: 'simulate', rootPath: ROOT })
  return loaded[name]
}

// A page rendered and attached, its onLoad run; `app` (or app(wx)) is what getApp() gives it.
async function openPage(name, app, query) {
  global.wx = mockWx()
  global.__app = Object.assign(
    { askSubscribe: jest.fn(() => Promise.resolve(null)) },
    typeof app === 'function' ? app(global.wx) : app,
  )
  const page = simulate.render(load(name))
  page.attach(document.createElement('parent-wrapper'))
  await page.instance.onLoad(query || {})
  await simulate.sleep(0)
  return page
}

function texts(page, selector) {
  return page.querySelectorAll(selector).map((node) => node.dom.textContent.trim())
}

module.exports = { simulate, load, openPage, texts, ROOT }
