// The mini-program's client of the 12328 server's /api/mp/* API. Plain CommonJS with no mini-program globals:
// it is given the `wx` object (or anything with the same login/request/uploadFile/storage functions), so the
// contract test runs this very module in Node against a real app.

const TOKEN_KEY = 'hotline_token'

const NETWORK_MESSAGE = '网络不可用，请检查网络后重试'
const SERVER_MESSAGE = '服务暂时不可用，请稍后重试'

class ApiError extends Error {
  // status 0: no answer (offline, timeout); `retry` true when trying again later may work
  constructor(message, status = 0, code = '', details = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.offline = status === 0
    this.retry = status === 0 || status === 429 || status >= 500
  }
}

function call(fn, options) {
  return new Promise((resolve, reject) => {
    fn(Object.assign({}, options, { success: resolve, fail: reject }))
  })
}

function parse(data) {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch (e) {
    return null
  }
}

function errorFrom(status, body) {
  const error = body && body.error
  if (error && error.message) return new ApiError(error.message, status, error.code || '', error.details || null)
  if (status === 503 && body && body.replies && body.replies[0]) {
    return new ApiError(body.replies[0].text, status, 'busy')
  }
  if (status === 401) return new ApiError('登录已失效，请重新进入小程序', status, 'unauthorized')
  if (status === 413) return new ApiError('照片太大，请换一张或压缩后重试', status, 'too_large')
  return new ApiError(status >= 500 ? SERVER_MESSAGE : `请求失败（${status}）`, status)
}

function formEncode(fields) {
  return Object.keys(fields)
    .filter((k) => fields[k] !== undefined && fields[k] !== null)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(fields[k]))}`)
    .join('&')
}

function queryString(params) {
  const text = formEncode(params || {})
  return text ? `?${text}` : ''
}

// A fresh key for one submission: the server files one order per key, however often a bad network makes us retry.
function newIdempotencyKey() {
  const random = Math.random().toString(36).slice(2, 12)
  return `mp-${Date.now().toString(36)}-${random}`
}

// String fields of a complaint as the server's form expects them (booleans as true/false).
function complaintForm(fields) {
  const out = {}
  Object.keys(fields).forEach((k) => {
    const v = fields[k]
    if (v === undefined || v === null || v === '') return
    out[k] = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)
  })
  return out
}

function createApi(wx, options) {
  const base = String((options && options.baseUrl) || '').replace(/\/+$/, '')
  const timeout = (options && options.timeout) || 20000
  let loggingIn = null

  function token() {
    return wx.getStorageSync(TOKEN_KEY) || ''
  }

  async function send(method, path, data, headers) {
    let res
    try {
      res = await call(wx.request, { url: base + path, method, data, header: headers, timeout })
    } catch (e) {
      throw new ApiError(NETWORK_MESSAGE)
    }
    return { status: res.statusCode, body: parse(res.data) }
  }

  // wx.login → /api/mp/login; one login at a time, whoever needs it
  function login() {
    if (!loggingIn) {
      loggingIn = (async () => {
        let code
        try {
          code = (await call(wx.login, { timeout })).code
        } catch (e) {
          throw new ApiError('微信登录失败，请检查网络后重试')
        }
        const res = await send('POST', '/api/mp/login', { code }, { 'content-type': 'application/json' })
        if (res.status !== 200 || !res.body || !res.body.token) throw errorFrom(res.status, res.body)
        wx.setStorageSync(TOKEN_KEY, res.body.token)
        return res.body.token
      })().finally(() => {
        loggingIn = null
      })
    }
    return loggingIn
  }

  // Signed in, and a 401 (token expired or revoked) logs in again once and repeats the call.
  async function authorised(perform) {
    let current = token() || (await login())
    let res = await perform(current)
    if (res.status === 401) {
      wx.removeStorageSync(TOKEN_KEY)
      current = await login()
      res = await perform(current)
    }
    if (res.status < 200 || res.status >= 300) throw errorFrom(res.status, res.body)
    return res
  }

  async function request(method, path, data, extraHeaders) {
    const res = await authorised((t) =>
      send(
        method,
        path,
        data,
        Object.assign({ Authorization: `Bearer ${t}`, 'content-type': 'application/json' }, extraHeaders || {}),
      ),
    )
    return res.body
  }

  async function upload(path, filePath, name, formData, extraHeaders) {
    const res = await authorised(async (t) => {
      let answer
      try {
        answer = await call(wx.uploadFile, {
          url: base + path,
          filePath,
          name,
          formData: formData || {},
          header: Object.assign({ Authorization: `Bearer ${t}` }, extraHeaders || {}),
          timeout: timeout * 3,
        })
      } catch (e) {
        throw new ApiError(NETWORK_MESSAGE)
      }
      return { status: answer.statusCode, body: parse(answer.data) }
    })
    return { status: res.status, body: res.body }
  }

  // A complaint or suggestion with photos. `job` = {key, fields, photos: [local paths], number?, uploaded?}: the
  // first photo goes with the form (POST /api/mp/complaints, field `photos`), each further one by itself to
  // /api/mp/orders/<number>/photos (field `file`). `job` records how far it got, so a retry after a broken
  // network resumes: the same Idempotency-Key finds the order already filed, no photo goes twice.
  async function submitComplaint(job, onProgress) {
    const photos = job.photos || []
    const headers = { 'Idempotency-Key': job.key }
    const form = complaintForm(job.fields)
    let order = job.order || null
    if (!job.number) {
      if (photos.length) {
        order = (await upload('/api/mp/complaints', photos[0], 'photos', form, headers)).body
        job.uploaded = 1
      } else {
        order = await request('POST', '/api/mp/complaints', formEncode(form),
          Object.assign({ 'content-type': 'application/x-www-form-urlencoded' }, headers))
        job.uploaded = 0
      }
      job.number = order.number
      job.order = order
      if (onProgress) onProgress(job)
    }
    while ((job.uploaded || 0) < photos.length) {
      order = (await upload(`/api/mp/orders/${encodeURIComponent(job.number)}/photos`, photos[job.uploaded], 'file')).body
      job.uploaded += 1
      job.order = order
      if (onProgress) onProgress(job)
    }
    return job.order
  }

  return {
    login,
    token,
    logout: () => request('POST', '/api/mp/logout').finally(() => wx.removeStorageSync(TOKEN_KEY)),
    phoneNumber: (code) => request('POST', '/api/mp/phone', { code }).then((body) => body.phone),
    chat: (text, location) => request('POST', '/api/mp/chat', location ? { text, location } : { text }),
    updates: (after) => request('GET', `/api/mp/updates${queryString({ after: after || 0 })}`),
    orders: () => request('GET', '/api/mp/orders').then((body) => body.orders),
    order: (number) => request('GET', `/api/mp/orders/${encodeURIComponent(number)}`),
    rate: (number, rating, comment) =>
      request('POST', `/api/mp/orders/${encodeURIComponent(number)}/rate`, { rating, comment: comment || '' }),
    policies: (where) => request('GET', `/api/mp/policies${queryString(where)}`),
    subscriptions: () => request('GET', '/api/mp/subscriptions'),
    subscribe: (results) => request('POST', '/api/mp/subscriptions', { results }),
    submitComplaint,
  }
}

module.exports = { createApi, ApiError, newIdempotencyKey, complaintForm, TOKEN_KEY, NETWORK_MESSAGE }
