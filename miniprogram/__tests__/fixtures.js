// An order as GET /api/mp/orders and /api/mp/orders/<number> give it, shared by the page tests.
const ORDER = {
  number: '20261130-00007',
  order_type_label: '投诉举报',
  title: '出租车不打表',
  state: 'replied',
  state_label: '已办结',
  unit_name: '郑州市出租汽车管理处',
  received_at: '2026-11-30T02:05:00+00:00',
  reply: '已退还多收车费。',
  rating: '',
  can_rate: true,
  next_step: '',
  timeline: [
    { at: '2026-11-30T10:05:00+08:00', text: '您的投诉举报已登记，工单编号20261130-00007。' },
    { at: '2026-11-30T15:30:00+08:00', text: '您的工单20261130-00007已办结：已退还多收车费。' },
  ],
}

module.exports = { ORDER }
