const config = require('./config')
const { createApi } = require('./utils/api')
const { createOutbox } = require('./utils/outbox')

App({
  onLaunch() {
    this.api = createApi(wx, { baseUrl: config.apiBaseUrl })
    this.outbox = createOutbox(wx, this.api)
    // a complaint filed offline goes out as soon as the network is back
    wx.onNetworkStatusChange((res) => {
      if (res.isConnected) this.flushOutbox()
    })
    this.flushOutbox()
  },

  flushOutbox() {
    return this.outbox.flush().then((orders) => {
      if (orders.length) {
        wx.showToast({ title: `已补交${orders.length}件投诉建议`, icon: 'success' })
      }
      return orders
    })
  },

  // 订阅消息: asked right after a submission or a status look-up (the moments WeChat allows, on a tap),
  // and what the user chose is told to the server, which then may send one notice per "accept".
  askSubscribe() {
    const api = this.api
    return api
      .subscriptions()
      .catch(() => ({}))
      .then((info) => {
        const ids = [config.orderTemplateId || info.template_id, config.policyTemplateId].filter(Boolean)
        if (!ids.length) return null
        return new Promise((resolve) => {
          wx.requestSubscribeMessage({
            tmplIds: ids,
            success: (res) => {
              const results = {}
              ids.forEach((id) => {
                if (res[id]) results[id] = res[id]
              })
              resolve(Object.keys(results).length ? api.subscribe(results).catch(() => null) : null)
            },
            fail: () => resolve(null),
          })
        })
      })
  },
})
