// 投诉 / 建议: the form for those who prefer it. Each submission has its own Idempotency-Key and goes through the
// outbox: without a network it is kept and sent when the network returns; a retry never files it twice.
const config = require('../../config')
const { newIdempotencyKey } = require('../../utils/api')
const { DOMAINS, pad } = require('../../utils/format')

const MAX_PHOTOS = 9

function today() {
  const now = new Date(Date.now() + 8 * 3600 * 1000) // China time
  return {
    date: `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`,
    time: `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}`,
  }
}

function emptyForm() {
  const now = today()
  return {
    orderType: 'complaint',
    domainIndex: 0,
    target: '',
    facts: '',
    demand: '',
    date: now.date,
    time: now.time,
    place: '',
    photos: [],
    phone: '',
    name: '',
    anonymous: false,
    safety: false,
  }
}

Component({
  data: Object.assign(emptyForm(), {
    domains: DOMAINS,
    phoneButton: false,
    maxPhotos: MAX_PHOTOS,
    submitting: false,
    progress: '',
    error: '',
    done: null, // the order filed: {number, state_label, ...}
    pending: 0, // submissions waiting for the network
  }),

  methods: {
    onLoad() {
      this.app = getApp()
      this.job = null
      this.setData({ phoneButton: !!config.phoneButton })
      this.refreshPending()
    },

    onShow() {
      this.refreshPending()
    },

    refreshPending() {
      this.setData({ pending: this.app.outbox.list().length })
    },

    onField(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value })
    },

    onType(e) {
      this.setData({ orderType: e.currentTarget.dataset.value })
    },

    onDomain(e) {
      this.setData({ domainIndex: Number(e.detail.value) })
    },

    // WeChat's phone-number button: its one-time code is exchanged by the server for the number
    async onPhoneNumber(e) {
      const code = e.detail && e.detail.code
      if (!code) return // the driver declined: typing still works
      try {
        this.setData({ phone: await this.app.api.phoneNumber(code), error: '' })
      } catch (error) {
        this.setData({ error: error.message || '暂时无法获取手机号，请直接填写' })
      }
    },

    onAnonymous(e) {
      this.setData({ anonymous: !!e.detail.value })
    },

    onSafety(e) {
      this.setData({ safety: !!e.detail.value })
    },

    onChoosePlace() {
      wx.chooseLocation({
        success: (res) => this.setData({ place: [res.address, res.name].filter(Boolean).join(' ').slice(0, 200) }),
        fail: () => {},
      })
    },

    onAddPhotos() {
      const room = MAX_PHOTOS - this.data.photos.length
      if (room <= 0) return
      wx.chooseMedia({
        count: room,
        mediaType: ['image'],
        sourceType: ['camera', 'album'],
        sizeType: ['compressed'],
        success: (res) => {
          const paths = res.tempFiles.map((f) => f.tempFilePath)
          this.setData({ photos: this.data.photos.concat(paths).slice(0, MAX_PHOTOS) })
        },
        fail: () => {},
      })
    },

    onRemovePhoto(e) {
      const photos = this.data.photos.slice()
      photos.splice(Number(e.currentTarget.dataset.index), 1)
      this.setData({ photos })
    },

    fields() {
      const d = this.data
      const fields = {
        order_type: d.orderType,
        domain: DOMAINS[d.domainIndex],
        target: d.target.trim(),
        facts: d.facts.trim(),
        demand: d.demand.trim(),
        occurred_at: `${d.date} ${d.time}`,
        location: d.place,
        caller_phone: d.phone.trim(),
        anonymous: d.anonymous,
        safety: d.safety,
      }
      if (!d.anonymous && d.name.trim()) fields.caller_name = d.name.trim()
      return fields
    },

    check() {
      if (!this.data.facts.trim()) return '请说明事情经过'
      const phone = this.data.phone.trim()
      if (phone && !/^1\d{10}$|^0\d{2,3}-?\d{7,8}$/.test(phone)) return '请填写正确的手机号或固定电话'
      return ''
    },

    async onSubmit() {
      if (this.data.submitting) return
      const problem = this.check()
      if (problem) {
        this.setData({ error: problem })
        return
      }
      // one key per submission: made once, kept for every retry of it
      if (!this.job) this.job = { key: newIdempotencyKey(), fields: this.fields(), photos: this.data.photos.slice() }
      await this.sendJob()
    },

    onRetry() {
      if (this.job) return this.sendJob()
      return this.onSubmit()
    },

    async sendJob() {
      const job = this.job
      const total = job.photos.length
      this.setData({ submitting: true, error: '', progress: total ? `正在上传照片 0/${total}` : '正在提交' })
      try {
        const order = await this.app.outbox.send(job, (p) => {
          if (total) this.setData({ progress: `正在上传照片 ${p.uploaded}/${total}` })
        })
        this.job = null
        this.setData(Object.assign(emptyForm(), { done: order, submitting: false, progress: '' }))
      } catch (error) {
        if (error.offline) {
          // kept in the outbox: app.js sends it when the network returns
          this.job = null
          this.setData(Object.assign(emptyForm(), { submitting: false, progress: '' }))
          wx.showModal({ title: '网络不可用', content: '已保存在手机上，网络恢复后会自动提交。', showCancel: false })
        } else {
          if (!error.retry) this.job = null // the server refused it: fix and submit anew
          this.setData({ submitting: false, progress: '', error: error.message || '提交失败，请重试' })
        }
      } finally {
        this.refreshPending()
      }
    },

    // 订阅消息: on the driver's tap right after submitting
    onSubscribe() {
      return this.app.askSubscribe().then((res) => {
        if (res) wx.showToast({ title: '办理进度将通知您', icon: 'success' })
      })
    },

    onViewOrder() {
      wx.navigateTo({ url: `/pages/orders/detail?number=${encodeURIComponent(this.data.done.number)}` })
    },

    onAnother() {
      this.setData({ done: null })
    },
  },
})
