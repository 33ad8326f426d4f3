// A `wx` for tests: storage in memory, every API a jest.fn; request/uploadFile answer through `handler`.
function mockWx() {
  const store = {}
  const wx = {
    store,
    getStorageSync: jest.fn((k) => (k in store ? JSON.parse(JSON.stringify(store[k])) : '')),
    setStorageSync: jest.fn((k, v) => {
      store[k] = JSON.parse(JSON.stringify(v))
    }),
    removeStorageSync: jest.fn((k) => {
      delete store[k]
    }),
    login: jest.fn((o) => o.success({ code: 'code-1' })),
    request: jest.fn(),
    uploadFile: jest.fn(),
    showToast: jest.fn(),
    showModal: jest.fn(),
    switchTab: jest.fn(),
    navigateTo: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    getLocation: jest.fn((o) => o.fail && o.fail({ errMsg: 'getLocation:fail auth deny' })),
    chooseLocation: jest.fn(),
    chooseMedia: jest.fn(),
    requestSubscribeMessage: jest.fn(),
    onNetworkStatusChange: jest.fn(),
  }
  return wx
}

// wx.request / wx.uploadFile answering from a list of [status, body] (or a function of the options)
function answer(fn, replies) {
  fn.mockImplementation((o) => {
    const next = typeof replies === 'function' ? replies(o) : replies.shift()
    setTimeout(() => {
      if (next === 'offline') o.fail({ errMsg: 'request:fail' })
      else o.success({ statusCode: next[0], data: fn.name === 'uploadFile' ? JSON.stringify(next[1]) : next[1] })
    }, 0)
  })
}

module.exports = { mockWx, answer }
