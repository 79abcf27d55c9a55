/// The portal's two languages: Chinese by default, English at the switch in every page's header.
enum Language: String, Sendable, CaseIterable {
    case zh, en

    var other: Language { self == .zh ? .en : .zh }

    /// Every word the templates and pages show, in this language (`{{t.key}}` in a template).
    var text: [String: String] { self == .zh ? PortalText.chinese : PortalText.english }

    /// One entry of the table in this language; the key itself if the table lacks it (a test
    /// checks that it lacks none the templates use).
    func callAsFunction(_ key: String) -> String { text[key] ?? key }

    /// An entry with its `%@` filled by `values`, in order.
    func callAsFunction(_ key: String, _ values: String...) -> String {
        var out = self(key)
        for value in values {
            guard let slot = out.range(of: "%@") else { break }
            out.replaceSubrange(slot, with: value)
        }
        return out
    }
}

/// The table of words: one row per key, Chinese then English.
enum PortalText {
    static let rows: [(key: String, zh: String, en: String)] = [
        ("app", "算力调度平台", "Suanli compute platform"),
        ("skipToContent", "跳到正文", "Skip to content"), ("navigation", "主导航", "Main navigation"),
        ("otherLanguage", "English", "中文"), ("signOut", "退出", "Sign out"),
        ("footer", "算力 Suanli · 城市算力统一调度", "Suanli · one scheduler for a city's compute"),
        // Navigation and page titles
        ("nav.workbench", "工作台", "Workbench"), ("nav.catalog", "资源目录", "Catalog"), ("nav.approvals", "待我审批", "To decide"),
        ("nav.operations", "运行总览", "Operations"), ("nav.consolidation", "整合与碎片整理", "Consolidation"),
        ("nav.audit", "审计日志", "Audit log"), ("nav.search", "全站搜索", "Search"),
        ("title.signIn", "登录", "Sign in"), ("title.error", "无法完成", "Could not do that"),
        // Sign-in
        ("signInWithPassword", "用户名和密码登录", "Sign in with name and password"), ("signInWithToken", "令牌登录", "Sign in with a token"),
        ("userName", "用户名", "User name"), ("password", "密码", "Password"), ("token", "令牌", "Token"), ("signIn", "登录", "Sign in"),
        ("tokenHint", "粘贴管理员发放的 API 令牌（只需一次，登录后由会话保持）。", "Paste the API token you were given (once: the session keeps you signed in)."),
        ("signedIn", "已登录。", "Signed in."), ("signedOut", "已退出。", "Signed out."),
        ("wrongPassword", "用户名或密码不正确。", "Unknown user or wrong password."), ("wrongToken", "令牌无效。", "The token is not valid."),
        ("tooManyAttempts", "登录失败次数过多，请 %@ 秒后再试。", "Too many failed sign-ins: try again in %@ s."),
        ("sessionExpired", "请先登录。", "Please sign in first."), ("pageNotFound", "没有页面 %@。", "There is no page %@."),
        ("csrfRefused", "表单已过期或来自其他网站，未执行任何操作。请返回、刷新页面后重试。", "The form expired or came from another site: nothing was done. Go back, reload the page and try again."),
        // Common
        ("field", "字段", "Field"), ("back", "返回", "Back"), ("search", "搜索", "Search"), ("filter", "筛选", "Filter"), ("all", "全部", "All"),
        ("nothingFound", "没有找到。", "Nothing found."), ("name", "名称", "Name"), ("code", "编码", "Code"), ("kind", "类型", "Kind"),
        ("where", "部署范围", "Runs on"), ("sharing", "共享属性", "Sharing"), ("securityLevel", "安全等级", "Security level"), ("owner", "所属部门", "Owner"),
        ("rating", "评分", "Rating"), ("state", "状态", "State"), ("actions", "操作", "Actions"), ("tenant", "部门", "Department"),
        ("time", "时间", "Time"), ("resources", "资源", "Resources"), ("noRating", "暂无评分", "not rated yet"),
        ("anywhere", "任意", "anywhere"), ("everyone", "所有部门", "every department"), ("platform", "平台", "the platform"),
        // Catalog
        ("catalog", "资源目录", "Catalog"), ("searchCatalog", "按名称、编码或描述搜索", "Search by name, code or description"),
        ("entriesFound", "共 %@ 项。", "%@ entries."), ("about", "概况", "About"), ("applyForThis", "申请使用", "Apply for it"),
        ("purpose", "用途", "Purpose"), ("industry", "行业", "Industry"), ("scenario", "业务场景", "Scenario"), ("quantity", "数量", "Quantity"),
        ("durationHours", "使用时长（小时）", "Duration (hours)"), ("vmImage", "虚拟机镜像路径（可选）", "VM disk image path (optional)"),
        ("serviceCommand", "服务命令行（可选，参数以空格分隔）", "Service command line (optional, arguments separated by spaces)"),
        ("submitApplication", "提交申请", "Submit the application"), ("ratings", "评价", "Ratings"), ("stars", "星级", "Stars"),
        ("comment", "意见", "Comment"), ("rate", "提交评价", "Rate"), ("noRatings", "还没有评价。", "No ratings yet."),
        ("questions", "问答", "Questions"), ("answer", "回答", "Answer"), ("askQuestion", "提问", "Ask a question"), ("ask", "提问", "Ask"),
        ("officialAnswer", "官方", "official"), ("rated", "已评价，谢谢。", "Rated: thank you."), ("posted", "已发布。", "Posted."),
        ("kind.offering", "资源", "offering"), ("kind.component", "组件", "component"),
        ("sharing.open", "无条件共享", "open"), ("sharing.conditional", "有条件共享", "conditional"), ("sharing.restricted", "不予共享", "restricted"),
        // Applications
        ("application", "申请", "Application"), ("applicant", "申请人", "Applicant"), ("duration", "时长", "Duration"), ("items", "申请内容", "Items"),
        ("outcome", "结果", "Outcome"), ("withdraw", "撤回", "Withdraw"), ("confirmWithdraw", "确定撤回这份申请吗？", "Withdraw this application?"),
        ("approvalProgress", "审批进度", "Approval progress"), ("noSteps", "无需审批，已直接批准。", "No step was needed: approved at once."),
        ("deadline", "期限", "Deadline"), ("decide", "审批", "Decide"), ("quotaOfApplicant", "申请部门配额（已用/上限）", "Department's quota (used / limit)"),
        ("budgetOfApplicant", "申请部门预算", "Department's budget"), ("noQuota", "未设配额", "no quota set"), ("approve", "批准", "Approve"),
        ("reject", "驳回", "Reject"), ("confirmReject", "确定驳回这份申请吗？申请人会收到您的意见。", "Reject the application? The applicant is told your comment."), ("provisioned", "已开通的资源", "Provisioned"), ("applied", "申请已提交：%@", "Application %@ sent."),
        ("decided", "已记录审批意见。", "Decision recorded."), ("withdrawn", "申请已撤回。", "Application withdrawn."),
        ("step.pending", "待审批", "awaiting decision"), ("step.waiting", "未开始", "not yet"), ("step.approved", "已批准", "approved"), ("step.rejected", "已驳回", "rejected"), ("step.undecided", "未审批", "not decided"),
        ("decider.owner", "资源所属部门", "owner"), ("decider.operator", "平台运营方", "operator"), ("decider.security", "安全管理员", "security officer"),
        ("appState.draft", "草稿", "draft"), ("appState.submitted", "已提交", "submitted"), ("appState.inReview", "审批中", "in review"),
        ("appState.approved", "已批准", "approved"), ("appState.rejected", "已驳回", "rejected"), ("appState.withdrawn", "已撤回", "withdrawn"),
        ("appState.expired", "已过期", "expired"), ("stepsDone", "%@ 步已完成", "%@ steps done"),
        ("awaitingCount", "%@ 份申请等待您审批。", "%@ applications await your decision."),
        // Workbench
        ("applicationsOpen", "进行中的申请", "open applications"), ("resourcesRunning", "运行中的资源", "resources running"),
        ("unreadNotifications", "未读通知", "unread notifications"), ("billedThisMonth", "本月费用", "billed this month"),
        ("myApplications", "我的申请", "My applications"), ("progress", "进度", "Progress"), ("submitted", "提交时间", "Submitted"),
        ("noApplications", "还没有申请。", "No applications yet."), ("browseCatalog", "浏览资源目录", "Browse the catalog"),
        ("myResources", "我的资源", "My resources"), ("request", "资源", "Resource"), ("placement", "部署位置", "Placement"),
        ("leaseEnds", "到期时间", "Lease ends"), ("usage", "用量", "Usage"), ("extend", "续期", "Extend"), ("extendByHours", "续期小时数", "Hours to extend by"),
        ("release", "释放", "Release"), ("confirmRelease", "确定释放这项资源吗？其上的工作负载会被停止。", "Release it? Its workload is stopped."),
        ("noResources", "还没有资源。", "No resources yet."), ("released", "已释放。", "Released."), ("extended", "已续期至 %@。", "Extended to %@."),
        ("notifications", "通知", "Notifications"), ("allNotifications", "全部通知", "All notifications"), ("markAllRead", "全部标为已读", "Mark all read"), ("noNotifications", "没有通知。", "No notifications."),
        ("billAndBudget", "费用与预算", "Bill and budget"), ("month", "月份", "Month"), ("billedSoFar", "本月已计费", "Billed so far"),
        ("budget", "预算", "Budget"), ("forecast", "月末预计", "Forecast for the month"), ("budgetUsed", "预算已用", "Budget used"),
        ("noBudget", "未设预算", "no budget"), ("chart.cost", "近 30 天每日费用", "Charges per day, last 30 days"), ("chart.daysAgo", "天前", "days ago"),
        ("feedback", "评价我用过的资源", "Rate what you used"), ("noEntriesUsed", "还没有用过目录中的资源。", "Nothing from the catalog used yet."),
        ("history", "历程", "History"), ("notRunning", "未运行", "not placed"),
        ("phase.submitted", "已提交", "submitted"), ("phase.admitted", "已受理", "admitted"), ("phase.provisioning", "开通中", "provisioning"),
        ("phase.queued", "排队中", "queued"), ("phase.placed", "已分配", "placed"), ("phase.running", "运行中", "running"),
        ("phase.releasing", "释放中", "releasing"), ("phase.released", "已释放", "released"), ("phase.expired", "已到期", "expired"),
        ("phase.rejected", "已拒绝", "rejected"), ("phase.failed", "失败", "failed"), ("phase.preempted", "被抢占", "preempted"),
        ("phase.reclaimed", "已回收", "reclaimed"), ("phase.revoked", "已撤销授权", "revoked"),
        // Operations
        ("tiles.nodes", "节点", "nodes"), ("tiles.ready", "正常节点", "ready"), ("tiles.unhealthy", "失联或可疑", "suspect or lost"),
        ("tiles.cordoned", "已封锁或排空", "cordoned or draining"), ("tiles.queued", "排队请求", "requests queued"), ("tiles.alerts", "告警", "alerts"),
        ("nodesByClassAndHealth", "节点：按类别、站点与健康状况", "Nodes by class, site and health"), ("group", "分组", "Group"),
        ("alerts", "告警", "Alerts"), ("noAlerts", "没有告警。", "No alerts."),
        ("nodeClass", "节点类别", "Node class"), ("nodes", "节点", "Nodes"), ("memory", "内存", "Memory"), ("site", "站点", "Site"),
        ("node", "节点", "Node"), ("allocated", "已分配", "Allocated"), ("requests", "请求数", "Requests"), ("cordon", "封锁", "Cordon"),
        ("uncordon", "解除封锁", "Uncordon"), ("cordoned", "节点 %@ 已封锁。", "Node %@ cordoned."), ("uncordoned", "节点 %@ 已解除封锁。", "Node %@ uncordoned."),
        ("moreNodes", "另有 %@ 个节点未列出：请筛选。", "%@ more nodes not listed: filter to see them."),
        ("chart.allocated", "已分配比例", "share allocated"), ("chart.hoursAgo", "小时前", "hours ago"), ("chart.minutesAgo", "分钟前", "minutes ago"),
        ("chart.noData", "暂无数据", "no data yet"),
        ("state.ready", "正常", "ready"), ("state.cordoned", "已封锁", "cordoned"), ("state.draining", "排空中", "draining"),
        ("state.suspect", "可疑", "suspect"), ("state.lost", "失联", "lost"),
        ("consolidationEstimates", "可整合的节点", "Nodes that could be freed"),
        ("consolidationHint", "按当前分配重新装箱所需的节点数；差额即可腾空的节点。", "Nodes needed if today's allocations were packed again; the difference could be freed."),
        ("partition", "分区", "Partition"), ("nodesInUse", "在用节点", "in use"), ("nodesNeeded", "所需节点", "needed"), ("lowerBound", "下界", "lower bound"),
        ("couldFree", "可腾空", "could free"), ("defragmentation", "碎片整理计划", "Defragmentation plan"), ("nodesToFree", "要腾空的节点数", "Nodes to free"),
        ("dryRun", "试运行", "Dry run"), ("applyPlan", "执行此计划", "Apply this plan"),
        ("confirmApplyPlan", "确定执行碎片整理吗？所列工作负载将被迁移。", "Apply the plan? The workloads listed are moved."),
        ("planSummary", "迁移 %@ 项，腾空节点：%@", "%@ moves; nodes freed: %@"),
        ("actor", "操作者", "Actor"), ("action", "动作", "Action"), ("target", "对象", "Target"), ("targetStartsWith", "对象前缀", "Target starts with"),
        ("detail", "详情", "Detail"), ("older", "更早的记录", "Older entries"),
        ("searchEverything", "搜索资源、申请、部门与内容", "Search entries, applications, departments and content"),
        ("search.catalog", "目录", "catalog"), ("search.request", "资源", "request"), ("search.application", "申请", "application"), ("search.node", "节点", "node"),
        ("title.account", "我的账户", "My account"), ("aboutMe", "账户信息", "About me"), ("role", "角色", "Role"), ("userKind", "用户类型", "Kind of user"),
        ("clearance", "可申请的最高安全等级", "Highest security level"), ("approver", "本部门审批人", "Approves for the department"),
        ("yes", "是", "yes"), ("no", "否", "no"), ("changePassword", "修改密码", "Change the password"), ("currentPassword", "当前密码", "Current password"),
        ("newPassword", "新密码", "New password"), ("passwordHint", "10 到 72 字节。", "10 to 72 bytes."), ("passwordChanged", "密码已修改。", "Password changed."),
        // Names the engine keeps in English
        ("class.general", "通用计算", "general"), ("class.ai", "智能计算", "AI"), ("class.hpc", "超算", "HPC"), ("class.edge", "边缘", "edge"),
        ("priority.critical", "关键", "critical"), ("priority.emergency", "应急", "emergency"), ("priority.production", "生产", "production"),
        ("priority.standard", "标准", "standard"), ("priority.batch", "批处理", "batch"), ("priority.best-effort", "尽力而为", "best effort"),
        ("partition.public", "公共", "public"),
        ("kindOfUser.government", "政务部门", "government"), ("kindOfUser.enterprise", "企业", "enterprise"), ("kindOfUser.research", "科研机构", "research"),
        ("kindOfUser.public", "公众", "public"),
        ("alert.node_suspect", "节点可疑", "node suspect"), ("alert.node_lost", "节点失联", "node lost"), ("alert.node_cordoned", "节点已封锁", "node cordoned"),
        ("alert.node_draining", "节点排空中", "node draining"), ("alert.quota_near_limit", "配额将满", "quota nearly used"),
        ("alert.idle_allocation", "资源闲置", "idle allocation"), ("alert.metering_refused", "计量样本被拒", "samples refused"),
        ("alert.grant_expiring", "授权即将到期", "grant ending"), ("alert.budget_exceeded", "预算已用尽", "budget spent"),
        ("alert.budget_80_percent", "预算已用 80%", "80% of budget used"), ("alert.budget_forecast", "预计超出预算", "on course to pass the budget"),
        // The fields an engine's refusal names, as the forms label them
        ("field.user", "用户名", "User name"), ("field.seconds", "续期小时数", "Hours to extend by"), ("field.hours", "续期小时数", "Hours to extend by"),
        ("field.current", "当前密码", "Current password"), ("field.text", "内容", "Text"), ("field.q", "搜索内容", "Search words"),
        ("field.Idempotency-Key", "表单编号（请刷新页面后重试）", "The form's key (reload the page and try again)"), ("field.decision", "审批意见", "Decision"),
        ("field.freeNodes", "要腾空的节点数", "Nodes to free"), ("field.class", "节点类别", "Node class"), ("field.image", "虚拟机镜像路径", "VM disk image path"),
        ("field.command", "服务命令行", "Service command line"), ("field.durationSeconds", "使用时长", "Duration"), ("field.items", "申请内容", "Items"),
        ("unlimited", "不限", "no limit"), ("colon", "：", ": "), ("dailyCharges", "每日费用", "charges per day"),
        ("budgetSpent", "本月预算已用尽（%@）。", "This month's budget is spent (%@)."),
        ("budgetNear", "本月预算已用 %@。", "%@ of this month's budget is used."), ("budgetOnCourse", "按当前用量，月末预计 %@，超出预算。", "At the current rate the month ends at %@, over the budget."),
        ("onlyNewest", "此处仅列出 %@ 项。", "Only %@ are listed here."), ("allResources", "全部资源（含已结束）", "All resources, ended ones too"),
        ("nav.requests", "全部资源", "All resources"), ("mayApplyWho", "可申请的用户类型", "Who may apply"),
        ("version", "版本", "Version"), ("price", "价格", "Price"),
        ("perHour", "每小时 %@（按分配量计；按用量计费时为上限）", "%@ an hour (as held; the most it costs when billed by use)"), ("gpuModel", "GPU 型号", "GPU model"), ("anyModel", "任意", "any"),
        ("cannotApplyLevel", "您可申请的最高安全等级为 %@，本项为 %@ 级：不能申请。", "Your clearance is level %@ and this entry is level %@: you cannot apply."),
        ("cannotApplyKind", "本项仅向以下用户类型开放：%@。", "This entry is open only to: %@."),
        ("sharingHint.open", "任何部门均可使用：申请无需审批，提交即开通。", "Any department may use it: an application needs no approval and is provisioned at once."),
        ("sharingHint.conditional", "申请并经所属部门批准后使用。", "Used after an application its owner approves."),
        ("sharingHint.restricted", "不对外共享：仅经所属部门和平台逐级审批授权后可用。", "Not shared: usable only under a grant its owner and the platform approve."),
        ("extendedNoEnd", "已续期。", "Extended."), ("autoscaled", "（自动伸缩 %@–%@）", " (autoscaled %@–%@)"), ("retryAt", "启动失败后等待重试，%@ 后再次调度", "failed to start; placed again after %@"),
        ("field.cpu", "CPU（由目录项决定）", "CPU (set by the entry)"), ("field.memoryMiB", "内存（由目录项决定）", "Memory (set by the entry)"),
        ("commentRejectNeeds", "意见（驳回时必填，申请人会看到）", "Comment (needed to reject: the applicant reads it)"),
        ("wrongCurrentPassword", "当前密码不正确。", "The current password is wrong."), ("sessionEnded", "会话已结束（已退出，或密码已在别处修改），请重新登录。", "The session ended (signed out, or the password was changed elsewhere): sign in again."),
        ("markedRead", "已全部标为已读。", "All marked read."), ("oneLine", "须为一行", "must be one line"), ("signInAgain", "重新登录", "Sign in again"),
        ("planCordons", "执行后，腾空的节点会被封锁以保持空闲；计划在执行时按当时状态重新计算，结果以执行后的提示为准。",
         "When applied, the freed nodes are cordoned so that they stay empty; the plan is computed again as things then stand, and the message after it says what was done."),
        ("planAppliedNodes", "计划已执行：迁移 %@ 项，封锁节点：%@。", "Plan applied: %@ moves; nodes cordoned: %@."),
        ("noPlan", "无法制定计划：%@", "No plan: %@"), ("utilizationSince", "利用率（最近 %@）", "Utilization (last %@)"),
        ("chart.classUtilization", "%@：资源分配率", "%@: share allocated"),
        ("role.admin", "管理员", "administrator"), ("role.operator", "运营", "operator"), ("role.tenant", "部门用户", "department user"),
        ("role.auditor", "审计", "auditor"), ("role.security", "安全管理员", "security officer"),
    ]

    /// A key given twice keeps its first row (a test checks that none is).
    static let chinese: [String: String] = Dictionary(rows.map { ($0.key, $0.zh) }, uniquingKeysWith: { first, _ in first })
    static let english: [String: String] = Dictionary(rows.map { ($0.key, $0.en) }, uniquingKeysWith: { first, _ in first })
}
