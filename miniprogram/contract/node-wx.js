// The few `wx` functions the API client uses, done in Node 20 (fetch, FormData), for the contract test:
// wx.login answers with the next code of a list (the fake WeChat API knows them), storage is a JSON file.
const fs = require('fs')
const path = require('path')

function nodeWx({ codes, storageFile }) {
  const store = fs.existsSync(storageFile) ? JSON.parse(fs.readFileSync(storageFile, 'utf8')) : {}
  const persist = () => fs.writeFileSync(storageFile, JSON.stringify(store))
  const queue = codes.slice()

  async function answer(res, options) {
    const text = await res.text()
    let data = text
    try {
      data = JSON.parse(text)
    } catch (e) {
      // not JSON: as is
    }
    return { statusCode: res.status, data: options.raw ? text : data, header: Object.fromEntries(res.headers) }
  }

  function settle(promise, options) {
    promise.then(
      (res) => options.success && options.success(res),
      (err) => options.fail && options.fail({ errMsg: `request:fail ${err.message}` }),
    )
  }

  let logins = 0
  return {
    get logins() {
      return logins
    },
    login(options) {
      logins += 1
      const code = queue.shift()
      if (code) options.success({ code, errMsg: 'login:ok' })
      else options.fail({ errMsg: 'login:fail no code left' })
    },
    getStorageSync: (key) => (key in store ? store[key] : ''),
    setStorageSync: (key, value) => {
      store[key] = value
      persist()
    },
    removeStorageSync: (key) => {
      delete store[key]
      persist()
    },
    request(options) {
      const header = Object.assign({}, options.header)
      const method = options.method || 'GET'
      let body
      if (method !== 'GET' && options.data !== undefined) {
        body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data)
      }
      settle(
        fetch(options.url, { method, headers: header, body }).then((res) => answer(res, {})),
        options,
      )
    },
    uploadFile(options) {
      const form = new FormData()
      Object.entries(options.formData || {}).forEach(([k, v]) => form.append(k, v))
      const bytes = fs.readFileSync(options.filePath)
      form.append(options.name, new Blob([bytes]), path.basename(options.filePath))
      settle(
        fetch(options.url, { method: 'POST', headers: options.header || {}, body: form }).then((res) =>
          answer(res, { raw: true }),
        ),
        options,
      )
    },
  }
}

module.exports = { nodeWx }
