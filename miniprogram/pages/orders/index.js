// 我的工单: the driver's own orders, newest first.
const { chinaTime } = require('../../utils/format')

Component({
  data: { orders: [], loading: false, loaded: false, error: '' },

  methods: {
    onLoad() {
      this.api = getApp().api
    },

    onShow() {
      return this.load()
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },

    onRetry() {
      return this.load()
    },

    async load() {
      this.setData({ loading: true, error: '' })
      try {
        const orders = await this.api.orders()
        this.setData({
          orders: orders.map((o) => Object.assign({}, o, { received: chinaTime(o.received_at) })),
          loaded: true,
        })
      } catch (error) {
        this.setData({ error: error.message || '加载失败，请重试' })
      } finally {
        this.setData({ loading: false })
      }
    },

    onOpen(e) {
      wx.navigateTo({ url: `/pages/orders/detail?number=${encodeURIComponent(e.currentTarget.dataset.number)}` })
    },
  },
})
