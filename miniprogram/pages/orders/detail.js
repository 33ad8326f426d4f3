// One of my orders: its state, what happens next, the timeline in plain words, the reply and the rating
// (好差评 with a comment); 订阅消息 consent can be given here, after the look-up.
const { chinaTime, RATINGS } = require('../../utils/format')

Component({
  data: { order: null, timeline: [], error: '', ratings: RATINGS, rating: '', comment: '', sending: false },

  methods: {
    onLoad(query) {
      this.app = getApp()
      this.number = decodeURIComponent((query && query.number) || '')
      return this.load()
    },

    onRetry() {
      return this.load()
    },

    async load() {
      this.setData({ error: '' })
      try {
        const order = await this.app.api.order(this.number)
        this.show(order)
      } catch (error) {
        this.setData({ error: error.message || '加载失败，请重试' })
      }
    },

    show(order) {
      const timeline = (order.timeline || this.data.timeline || []).map((t) =>
        Object.assign({}, t, { when: t.when || chinaTime(t.at) }),
      )
      this.setData({ order, timeline })
    },

    onPickRating(e) {
      this.setData({ rating: e.currentTarget.dataset.value })
    },

    onComment(e) {
      this.setData({ comment: e.detail.value })
    },

    async onRate() {
      if (!this.data.rating || this.data.sending) {
        if (!this.data.rating) this.setData({ error: '请选择满意程度' })
        return
      }
      this.setData({ sending: true, error: '' })
      try {
        const order = await this.app.api.rate(this.number, this.data.rating, this.data.comment.trim())
        this.show(order)
        wx.showToast({ title: '感谢您的评价', icon: 'success' })
      } catch (error) {
        this.setData({ error: error.message || '提交失败，请重试' })
      } finally {
        this.setData({ sending: false })
      }
    },

    onSubscribe() {
      return this.app.askSubscribe().then((res) => {
        if (res) wx.showToast({ title: '办理进度将通知您', icon: 'success' })
      })
    },
  },
})
